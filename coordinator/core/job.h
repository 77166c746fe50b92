// One job inside the scheduler: its spec, where its chunks are (queued,
// leased, done) and its timing. Chunks are derived from the plan on demand:
// memory is O(chunks leased + chunks requeued + completion window). Once the
// job is over and its report made, Compact() drops all of that: a finished
// job costs its report (about a kilobyte), not its live structures.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/chunking.h"
#include "common/job_spec.h"
#include "coordinator/core/completion_set.h"
#include "coordinator/core/job_stats.h"
#include "coordinator/core/report.h"
#include "coordinator/core/timeline.h"
#include "coordinator/core/types.h"

namespace tminus {

struct JobSnapshot;

struct ActiveLease {
  SessionId session = 0;
  int32_t attempt = 0;
  int64_t dispatch_mono_ns = 0;
};

// Owned and driven by Scheduler; thread-compatible. The chunk accessors
// (leases, done, stats, ...) require !compacted().
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
  // Submitted, not yet saved by the store: nothing of it is leased.
  bool held() const { return held_; }
  void set_held(bool held) { held_ = held; }

  // True when a chunk is waiting to be leased.
  bool HasQueuedChunk();
  // Takes the next queued chunk: requeued chunks first, then fresh ones.
  // Requires HasQueuedChunk(). Returns the chunk and its attempt number.
  std::pair<int64_t, int32_t> TakeChunk();
  // Puts a chunk whose lease ended without a result back in the queue.
  void Requeue(int64_t chunk, int32_t last_attempt);

  // Caps (max_slots, max_slots_per_worker) count what may run, not what is
  // queued at a worker: a session with `slots` slots holding h leases of
  // this job runs at most min(h, share) of them, share = min(slots,
  // MaxRunningPerWorker()) (the worker enforces that limit, sent with each
  // lease). The sum over sessions is the job's running bound, kept at most
  // max_slots; leases beyond a session's share are prefetch, so a capped
  // job still gets its next chunk without a round trip.
  // min(max_slots_per_worker, max_slots) of those set; 0: neither.
  int32_t MaxRunningPerWorker() const;
  bool MayLeaseTo(SessionId session, int32_t slots) const;
  // A lease or backup went to this session of worker `worker` (its record's key).
  void AddHolder(SessionId session, int32_t slots, uint32_t worker);
  void RemoveHolder(SessionId session);              // one of them ended
  int64_t running_bound() const { return live_->running_bound; }
  int64_t holders_total() const;  // leases and backups counted by session (invariants)
  // Calls fn(session, leases and backups it holds) for each holder.
  template <typename Fn>
  void ForEachHolder(Fn&& fn) const {
    for (const auto& [session, holder] : live_->holders) fn(session, holder.held);
  }
  // Whether any chunk of this job was leased to that worker (by record key)
  // in this process: its resent results for chunks done are duplicates.
  bool WasLeasedTo(uint32_t worker) const { return live_->leased_workers.contains(worker); }
  // Loaded from the state store after a restart: the leases of the process
  // before were not saved, so its workers' late results cannot be checked
  // against them (see Scheduler's restore grace).
  bool restored() const { return restored_; }
  // Whether the spec's worker list (if any) names this worker.
  bool AllowsWorker(const std::string& worker_id) const {
    return named_workers_.empty() || named_workers_.contains(worker_id);
  }
  // WaitingReason's answer, kept while the set of sessions is unchanged
  // (epoch): a listing of many queued jobs must not scan every worker each.
  struct WaitingCache {
    uint64_t epoch = 0;
    std::string reason;
  };
  WaitingCache& waiting_cache() const { return waiting_cache_; }
  // Whether any live session may take this job (executor, placement), kept
  // while the set of sessions is unchanged (epoch): Scheduler::Dispatch asks
  // once per job per epoch, not once per job per dispatch.
  struct PlaceableCache {
    uint64_t epoch = 0;
    bool any = false;
  };
  PlaceableCache& placeable_cache() const { return placeable_cache_; }

  absl::flat_hash_map<int64_t, ActiveLease>& leases() { return live_->leases; }
  const absl::flat_hash_map<int64_t, ActiveLease>& leases() const { return live_->leases; }
  // Second attempts of straggling chunks, at most one per chunk.
  absl::flat_hash_map<int64_t, ActiveLease>& backups() { return live_->backups; }
  const absl::flat_hash_map<int64_t, ActiveLease>& backups() const { return live_->backups; }
  const CompletionSet& done() const { return live_->done; }
  // Sessions sent this job's kernel definition (not the countdown's).
  absl::flat_hash_set<SessionId>& kernel_sent() { return live_->kernel_sent; }
  JobStats& stats() { return live_->stats; }
  const JobStats& stats() const { return live_->stats; }
  // Leases and backups in flight.
  int64_t running() const;
  // Recent chunk attempts (live jobs).
  TimelineRing& timeline() { return live_->timeline; }
  const TimelineRing& timeline() const { return live_->timeline; }

  // Records one accepted result. Returns false if the chunk was already done.
  bool MarkDone(int64_t chunk, int64_t decrements, int64_t now_mono_ns);
  int64_t decrements_done() const { return decrements_done_; }
  bool AllChunksDone() const { return live_->done.size() == plan_.chunk_count(); }

  // Counts a failed attempt; returns how many this chunk has had.
  int32_t RecordFailure(int64_t chunk, const std::string& worker_id);
  const std::vector<std::string>& FailedOn(int64_t chunk) const;

  void MarkStarted(int64_t now_mono_ns, int64_t now_wall_ns);
  // Brings back a job saved before a restart (see JobSnapshot). Times are
  // re-anchored on this process's monotonic clock through the wall clock.
  void Restore(const JobSnapshot& snapshot, CompletionSet done, int64_t now_mono_ns,
               int64_t now_wall_ns);
  void Finish(JobState state, std::string error, int64_t now_mono_ns, int64_t now_wall_ns);
  // Terminal jobs only: keeps `report` and drops everything live.
  void Compact(JobReport report);
  bool compacted() const { return live_ == nullptr; }
  // After Compact: the report made when the job ended.
  const JobReport& final_report() const { return *final_report_; }
  // After Compact: the sampled timeline, if the scheduler kept one.
  const JobTimeline* final_timeline() const { return final_timeline_.get(); }
  void KeepTimeline(JobTimeline timeline);
  void DropTimeline() { final_timeline_.reset(); }

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
  // Everything that only a job in progress needs.
  struct Live {
    int64_t next_fresh = 0;         // chunks below this have been leased at least once
    std::deque<Requeued> requeued;  // may hold chunks done meanwhile: skipped on take
    absl::flat_hash_map<int64_t, ActiveLease> leases;
    absl::flat_hash_map<int64_t, ActiveLease> backups;
    CompletionSet done;
    struct Holder {
      int32_t held = 0;
      int32_t share = 0;  // how many of them may run at once there
    };
    absl::flat_hash_map<SessionId, Holder> holders;
    absl::flat_hash_set<uint32_t> leased_workers;  // every worker that held one of its leases
    absl::flat_hash_set<SessionId> kernel_sent;
    int64_t running_bound = 0;
    absl::flat_hash_map<int64_t, std::vector<std::string>> failures;  // sparse
    JobStats stats;
    TimelineRing timeline;
  };

  JobId id_;
  std::string request_id_;
  JobSpec spec_;
  absl::flat_hash_set<std::string> named_workers_;  // spec_.workers, for lookups
  int32_t ShareOn(int32_t slots) const;
  mutable WaitingCache waiting_cache_;
  mutable PlaceableCache placeable_cache_;
  ChunkPlan plan_;
  JobState state_ = JobState::kQueued;
  bool held_ = false;
  bool restored_ = false;
  std::string error_;
  int64_t decrements_done_ = 0;
  std::unique_ptr<Live> live_;
  std::unique_ptr<const JobReport> final_report_;
  std::unique_ptr<const JobTimeline> final_timeline_;

  int64_t submit_mono_ns_;
  int64_t submit_wall_ns_;
  int64_t start_mono_ns_ = 0;
  int64_t start_wall_ns_ = 0;
  int64_t end_mono_ns_ = 0;
  int64_t end_wall_ns_ = 0;
  int64_t last_accept_mono_ns_ = 0;
};

}  // namespace tminus
