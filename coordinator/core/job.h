// One job inside the scheduler: its spec, where its chunks are (queued,
// leased, done) and its timing. Chunks are derived from the plan on demand:
// memory is O(chunks leased + chunks requeued + completion window).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/chunking.h"
#include "common/job_spec.h"
#include "coordinator/core/completion_set.h"
#include "coordinator/core/job_stats.h"
#include "coordinator/core/types.h"

namespace tminus {

struct JobSnapshot;

struct ActiveLease {
  SessionId session = 0;
  int32_t attempt = 0;
  int64_t dispatch_mono_ns = 0;
};

// Owned and driven by Scheduler; thread-compatible.
class Job {
 public:
  Job(JobId id, JobSpec spec, int64_t submit_mono_ns, int64_t submit_wall_ns);

  JobId id() const { return id_; }
  const std::string& request_id() const { return request_id_; }
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  const JobSpec& spec() const { return spec_; }
  const ChunkPlan& plan() const { return plan_; }
  JobState state() const { return state_; }
  bool terminal() const { return IsTerminal(state_); }

  // True when a chunk is waiting to be leased.
  bool HasQueuedChunk();
  // Takes the next queued chunk: requeued chunks first, then fresh ones.
  // Requires HasQueuedChunk(). Returns the chunk and its attempt number.
  std::pair<int64_t, int32_t> TakeChunk();
  // Puts a chunk whose lease ended without a result back in the queue.
  void Requeue(int64_t chunk, int32_t last_attempt);

  // How many more chunks this job may have leased (its max_slots cap).
  int64_t LeaseRoom() const;

  absl::flat_hash_map<int64_t, ActiveLease>& leases() { return leases_; }
  const absl::flat_hash_map<int64_t, ActiveLease>& leases() const { return leases_; }
  // Second attempts of straggling chunks, at most one per chunk.
  absl::flat_hash_map<int64_t, ActiveLease>& backups() { return backups_; }
  const absl::flat_hash_map<int64_t, ActiveLease>& backups() const { return backups_; }
  const CompletionSet& done() const { return done_; }
  JobStats& stats() { return stats_; }
  const JobStats& stats() const { return stats_; }

  // Records one accepted result. Returns false if the chunk was already done.
  bool MarkDone(int64_t chunk, int64_t decrements, int64_t now_mono_ns);
  int64_t decrements_done() const { return decrements_done_; }
  bool AllChunksDone() const { return done_.size() == plan_.chunk_count(); }

  // Counts a failed attempt; returns how many this chunk has had.
  int32_t RecordFailure(int64_t chunk, const std::string& worker_id);
  const std::vector<std::string>& FailedOn(int64_t chunk) const;

  void MarkStarted(int64_t now_mono_ns, int64_t now_wall_ns);
  // Brings back a job saved before a restart (see JobSnapshot). Times are
  // re-anchored on this process's monotonic clock through the wall clock.
  void Restore(const JobSnapshot& snapshot, CompletionSet done, int64_t now_mono_ns,
               int64_t now_wall_ns);
  void Finish(JobState state, std::string error, int64_t now_mono_ns, int64_t now_wall_ns);

  const std::string& error() const { return error_; }
  int64_t submit_mono_ns() const { return submit_mono_ns_; }
  int64_t submit_wall_ns() const { return submit_wall_ns_; }
  int64_t start_mono_ns() const { return start_mono_ns_; }
  int64_t start_wall_ns() const { return start_wall_ns_; }
  int64_t end_mono_ns() const { return end_mono_ns_; }
  int64_t end_wall_ns() const { return end_wall_ns_; }
  int64_t last_accept_mono_ns() const { return last_accept_mono_ns_; }

 private:
  struct Requeued {
    int64_t chunk;
    int32_t next_attempt;
  };

  JobId id_;
  std::string request_id_;
  JobSpec spec_;
  ChunkPlan plan_;
  JobState state_ = JobState::kQueued;
  std::string error_;

  int64_t next_fresh_ = 0;              // chunks below this have been leased at least once
  std::deque<Requeued> requeued_;       // may hold chunks done meanwhile: skipped on take
  absl::flat_hash_map<int64_t, ActiveLease> leases_;
  absl::flat_hash_map<int64_t, ActiveLease> backups_;
  CompletionSet done_;
  int64_t decrements_done_ = 0;
  absl::flat_hash_map<int64_t, std::vector<std::string>> failures_;  // sparse
  JobStats stats_;

  int64_t submit_mono_ns_;
  int64_t submit_wall_ns_;
  int64_t start_mono_ns_ = 0;
  int64_t start_wall_ns_ = 0;
  int64_t end_mono_ns_ = 0;
  int64_t end_wall_ns_ = 0;
  int64_t last_accept_mono_ns_ = 0;
};

}  // namespace tminus
