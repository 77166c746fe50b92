// Durable state behind an interface: the coordinator's jobs (spec, state,
// timestamps, report aggregates, completion set), as JobSnapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/core/report.h"

namespace tminus {

// Implementations are thread-compatible: the coordinator calls them from one
// thread at a time (start-up, then its commit thread).
class Store {
 public:
  virtual ~Store() = default;
  // False for the in-memory store: nothing survives the process.
  virtual bool durable() const = 0;
  // Every saved job, in id order. DATA_LOSS for a corrupt or foreign state
  // file, with a message that says which file and what is wrong.
  virtual absl::StatusOr<std::vector<JobSnapshot>> LoadJobs() = 0;
  // The saved high-water mark of job ids (1 when none is saved).
  virtual absl::StatusOr<uint64_t> LoadNextJobId() = 0;
  // Saves these jobs (replacing earlier versions) and the high-water mark in
  // one transaction: all or nothing. Durable when it returns OK. Errors start
  // with "state store: " and name the file: RESOURCE_EXHAUSTED when the disk
  // is full, UNAVAILABLE for other failures (the caller tries again later).
  virtual absl::Status Save(const std::vector<JobSnapshot>& jobs, uint64_t next_job_id) = 0;
};

// Nothing kept: for tests and `--state-dir ''`.
std::unique_ptr<Store> MakeMemoryStore();

// SQLite (WAL) in `dir`/tminus.db; `dir` is created if missing.
// UNAVAILABLE when it cannot be opened or created, DATA_LOSS when the file
// is not a tminus state file or fails its integrity check.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir);

// Encoding of one job record (exposed for tests).
std::string EncodeJob(const JobSnapshot& job);
absl::StatusOr<JobSnapshot> DecodeJob(const std::string& bytes);

}  // namespace tminus
