// Durable state behind an interface: the coordinator's jobs (spec, state,
// timestamps, report aggregates, completion set), as JobSnapshots.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/core/report.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

// What one commit writes, all or nothing.
struct StoreBatch {
  std::vector<JobSnapshot> jobs;   // replacing earlier versions
  uint64_t next_job_id = 1;        // the high-water mark of job ids
  std::vector<StudyRecord> studies;  // new scaling studies
  std::vector<uint64_t> deleted_jobs;  // past --retain; deleted after the upserts
};

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
  // Every saved scaling study, in id order.
  virtual absl::StatusOr<std::vector<StudyRecord>> LoadStudies() = 0;
  // Saves the batch in one transaction: all or nothing. Durable when it
  // returns OK. Errors start with "state store: " and name the file:
  // RESOURCE_EXHAUSTED when the disk is full, UNAVAILABLE for other failures
  // (the caller tries again later).
  virtual absl::Status Save(const StoreBatch& batch) = 0;
};

// Nothing kept: for tests and `--state-dir ''`.
std::unique_ptr<Store> MakeMemoryStore();

// SQLite (WAL) in `dir`/tminus.db; `dir` is created if missing.
// UNAVAILABLE when it cannot be opened or created, DATA_LOSS when the file
// is not a tminus state file or fails its integrity check.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir);

// The state file's schema. Schema 1 numbered a saved job's state by the
// C++ enum's position (queued = 0); schema 2 by jobs.proto's numbers
// (queued = 1), as state.proto says, and keeps a live python job's source
// in a table of its own (python_sources), written once, not in the job's
// record, which is rewritten with each save. OpenSqliteStore rewrites a
// schema-1 file as schema 2.
inline constexpr int kStateSchema = 2;

// A job's state as jobs.proto numbers it, both ways: what the RPCs send and,
// since schema 2, what the state file keeps. Spelled out, so that reordering
// JobState changes neither. Nothing for a number that names no state
// (JOB_STATE_UNSPECIFIED included).
v1::JobState JobStateToProto(JobState state);
std::optional<JobState> JobStateFromProto(int32_t number);

// Encoding of one job record (exposed for tests): EncodeJob writes
// kStateSchema; DecodeJob reads the schema named. DATA_LOSS for bytes that
// do not parse or hold impossible values, such as a state number that the
// schema does not have.
std::string EncodeJob(const JobSnapshot& job);
absl::StatusOr<JobSnapshot> DecodeJob(const std::string& bytes, int schema = kStateSchema);

// A study and its wire form (tminus.v1.Study), both ways: the RPC and the
// store use the same two functions.
v1::Study ToProto(const StudyRecord& study);
StudyRecord FromProto(const v1::Study& study);

}  // namespace tminus
