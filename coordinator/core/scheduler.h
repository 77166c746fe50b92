// The scheduler: a plain, single-threaded state machine over jobs, chunk
// leases and worker sessions. No gRPC, no threads, no real clock: the service
// layer calls it under one lock, then sends what it left in the outboxes.
//
// Invariants (CheckInvariants() verifies the ones about leases):
//  - a chunk is accepted at most once; later results for it are duplicates;
//  - a result counts, or fails anything, only from the session holding
//    that attempt's lease, or as a late result the fencing rules allow
//    (fencing.cc); every other result is dropped and counted;
//  - a session never holds more leases than the credits it granted;
//  - a session's lease set and the jobs' lease and backup maps agree;
//  - a job is SUCCEEDED only when every chunk is done and the accepted
//    decrements add up to n exactly;
//  - leases of a closed session go back to the queue at once;
//  - with hold_until_saved, nothing of a job is leased before it is saved.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/process_usage.h"
#include "coordinator/core/cluster_stream.h"
#include "coordinator/core/job.h"
#include "coordinator/core/report.h"
#include "coordinator/core/types.h"
#include "coordinator/core/workers.h"

namespace tminus {

class Scheduler {
 public:
  Scheduler(const Clock* clock, SchedulerOptions options);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const SchedulerOptions& options() const { return options_; }
  // Jobs queued or running.
  int64_t ActiveJobs() const;

  // --- jobs ---
  // INVALID_ARGUMENT for a bad spec or request id; RESOURCE_EXHAUSTED past
  // max_active_jobs. A request id seen before returns the job it created.
  // With hold_until_saved the job waits for ReleaseSaved().
  absl::StatusOr<JobId> Submit(const JobSpec& spec, const std::string& request_id);
  // NOT_FOUND for an unknown id. Cancelling a terminal job changes nothing.
  absl::Status Cancel(JobId id);
  // NOT_FOUND for an unknown id.
  absl::StatusOr<JobView> GetJob(JobId id) const;
  absl::StatusOr<JobReport> GetReport(JobId id) const;
  absl::StatusOr<JobProgress> GetProgress(JobId id) const;
  // Newest first, ids below `before` (0: from the newest), at most `limit`.
  std::vector<JobView> ListJobs(JobId before, int limit, const JobFilter& filter = {}) const;
  std::vector<WorkerView> ListWorkers() const;
  // The job's recent chunk attempts (finished jobs: a sample, and only for
  // the most recent kTimelinesKept of them). NOT_FOUND for an unknown id.
  absl::StatusOr<JobTimeline> GetTimeline(JobId id) const;
  static constexpr size_t kTimelinesKept = 100;

  // --- for metrics (views.cc) ---
  const SchedulerCounters& counters() const { return counters_; }
  // Durations of every accepted chunk, all jobs.
  const DurationHistogram& chunk_durations() const { return chunk_durations_; }
  ClusterTotals Totals() const;
  // Every job's recent chunk attempts, for the dashboard's chunk stream.
  const ClusterStream& stream() const { return stream_; }
  // The worker_id of a registry key ("worker-K" once forgotten).
  std::string WorkerName(uint32_t worker) const;

  // --- saving (the host's commit thread, through the host) ---
  // Jobs submitted (held) since the last call.
  std::vector<JobId> TakeHeldJobs();
  // They are saved: their chunks may be leased now.
  void ReleaseSaved(const std::vector<JobId>& ids);
  // Its save failed: the job is forgotten as if it had never been submitted
  // (its submitter is told so). Its id is not handed out again.
  void DropUnsaved(JobId id);
  // While the store cannot commit, nothing new is leased.
  void SetDispatchPaused(bool paused);
  // Ids below this were handed out.
  JobId next_job_id() const { return next_job_id_; }

  // --- worker sessions ---
  // INVALID_ARGUMENT for a bad hello (the message names the field);
  // UNAVAILABLE once shutting down.
  // ALREADY_EXISTS while another process (another incarnation) holds the
  // worker_id with a live session, heard from within the lease timeout. A
  // session of the same incarnation (a reconnect), or of a worker silent for
  // longer, is replaced: its stream ends with ABORTED, its leases released.
  absl::StatusOr<SessionId> OpenSession(const WorkerHello& hello);
  // Releases the session's leases; unknown ids are ignored.
  void CloseSession(SessionId id);
  // These return UNAVAILABLE for a session that is closed or was replaced
  // (the worker reconnects). OnResults: INVALID_ARGUMENT naming the result
  // and field for a malformed result (none of the batch is applied);
  // PERMISSION_DENIED once the session has sent more than
  // max_unleased_results results for chunks it was not leased (the batch
  // is applied up to there; the caller ends the session).
  absl::Status AddCredits(SessionId id, int64_t credits);
  absl::Status OnResults(SessionId id, const std::vector<ChunkReport>& results);
  absl::Status Touch(SessionId id);        // a heartbeat
  // A new measure of the bare kernel on one of the worker's idle threads
  // (INVALID_ARGUMENT names the bad field; UNAVAILABLE for a closed session).
  absl::Status SetCalibration(SessionId id, const Calibration& calibration);
  // The chunks of each job the worker runs on a slot now, replacing its last
  // report (INVALID_ARGUMENT: more jobs or chunks than it has slots).
  absl::Status SetRunning(SessionId id, std::vector<std::pair<JobId, int32_t>> running);
  // The worker process's CPU time and memory, as it reported them; the
  // worker's cpu_cores is the CPU time between two reports per wall second.
  absl::Status SetUsage(SessionId id, const ProcessUsage& usage);
  absl::Status SetDraining(SessionId id);  // no more leases for it
  // An admin drains (or undrains) a worker by name: no new leases, its
  // queued leases handed back (Outbox::drain). NOT_FOUND for an unknown one.
  absl::StatusOr<WorkerView> SetDrained(const std::string& worker_id, bool drained);

  // The coordinator itself is stopping (SIGTERM): from now on no session is
  // opened (UNAVAILABLE), none expires, nothing is leased, and a session
  // that ends hands its leases back without charging an attempt: its
  // chunks run on and are reported to the next coordinator. Not undone.
  void BeginShutdown();
  bool shutting_down() const { return shutting_down_; }

  // Called every housekeeping_interval_ns: closes sessions silent for longer
  // than the lease timeout (unless the coordinator itself stalled: then every
  // session gets a fresh timeout), forgets long-gone workers, and looks for
  // stragglers to back up.
  void ExpireSilentSessions();

  // Calls fn(session, outbox) for each session with messages waiting, moving
  // the messages out. fn must not call back into the scheduler.
  template <typename Fn>
  void DrainOutboxes(Fn&& fn) {
    for (SessionId id : dirty_) {
      auto it = sessions_.find(id);
      Outbox* box = it != sessions_.end() ? &it->second.outbox : FindClosedOutbox(id);
      if (box == nullptr || box->empty()) continue;
      Outbox out = std::move(*box);
      *box = Outbox{};
      fn(id, std::move(out));
    }
    dirty_.clear();
    closed_outboxes_.clear();
  }

  // Jobs that became terminal since the last call.
  std::vector<JobId> TakeFinishedJobs();
  // Jobs deleted since the last call (past --retain): the store deletes them.
  std::vector<JobId> TakeForgottenJobs();
  // With no state store: forgets what would have been saved (changed jobs,
  // final snapshots, deleted ids), so nothing piles up for a commit that
  // never comes.
  void DropPendingSaves();

  // --- persistence (persist.cc) ---
  // Snapshots of every job changed since the last call, for the store.
  std::vector<JobSnapshot> TakeDirtySnapshots();
  // Loads jobs saved before a restart; call once, before any other call.
  // Running jobs go back to the queue: their chunks in flight at the crash
  // are lost leases, done chunks stay done. Ids start at the larger of
  // `next_job_id` and the highest saved id + 1. FAILED_PRECONDITION if the
  // scheduler already has jobs; INVALID_ARGUMENT for an inconsistent snapshot.
  absl::Status Restore(const std::vector<JobSnapshot>& jobs, JobId next_job_id = 1);

  // OK, or INTERNAL naming the first broken lease invariant (for tests).
  absl::Status CheckInvariants() const;
  // Times the coordinator found itself stalled past the lease timeout's grace.
  int64_t stalls() const { return stalls_; }

 private:
  Job* FindJob(JobId id);
  const Job* FindJob(JobId id) const;
  Session* FindSession(SessionId id);
  Outbox* FindClosedOutbox(SessionId id);
  Outbox& OutboxOf(Session& session);
  void CloseSessionFor(SessionId id, bool expired);
  void CloseReplaced(SessionId old, const WorkerHello& hello, bool same_process);
  uint32_t RecordFor(const std::string& worker_id);
  WorkerIdentityView IdentityOf(uint32_t worker) const;
  const std::string& WorkerIdOf(const Session& session) const {
    return workers_.at(session.worker).hello.worker_id;
  }
  void ForgetGoneWorkers();
  void KeepCalibration(WorkerRecord& record, Session& session, const Calibration& calibration);
  // Chunks of `job` on a slot of `session` now: what the worker reported,
  // at most what it holds leased.
  int64_t RunningOn(const Session& session, JobId job, int64_t leased) const;
  int64_t RunningOf(const Job& job) const;

  // dispatch.cc
  void Dispatch();
  void AssignTo(Session& session, int64_t want);
  void Lease(Job& job, Session& session, int64_t now);
  // Queues the lease for the session, after its job's kernel definition if
  // the session has not had it yet.
  void SendLease(Job& job, Session& session, const LeaseGrant& lease);
  // The job ended: sessions sent its kernel definition may drop it.
  void ForgetKernel(Job& job);
  // Starts backup attempts of straggling chunks on the session's idle slots.
  void AssignBackups(Session& session, int64_t want);
  // How long a chunk of this job that runs longer is a straggler; 0: unknown.
  int64_t StragglerAfterNs(const Job& job, int64_t chunk) const;

  // results.cc
  // `now`: the monotonic clock, read once per batch of results. False when
  // the session has sent too many results it holds no lease for.
  bool ApplyResult(Session& session, const ChunkReport& result, int64_t now, int64_t now_wall);
  void Accept(Job& job, Session& session, const ChunkReport& result, int64_t now);
  void FailAttempt(Job& job, int64_t chunk, int32_t attempt, const std::string& worker_id,
                   const std::string& reason);
  void ReleaseLeases(Session& session, const std::string& reason, bool expired);
  // Drops every other attempt of a chunk just accepted, telling its session.
  void CancelOtherAttempts(Job& job, int64_t chunk, SessionId winner, int32_t attempt);
  void FinishJob(Job& job, JobState state, std::string error);
  // Keeps the finished job's report (and maybe a sampled timeline) only.
  void Compact(Job& job);
  // `received_wall_ns`: when the result's batch came (the chunk stream's clock).
  void RecordEvent(Job& job, const Session& session, const ChunkReport& result, bool duplicate,
                   int64_t received_wall_ns);
  void MarkQueued(Job& job);
  // A lease of the job on the session ended: a capped job may have room again.
  void LeaseEnded(Job& job, SessionId session);
  // Whether the session may take the job's chunks (executor, placement).
  bool Fits(const Job& job, const Session& session) const;
  // Whether any live session that takes leases fits the job (cached per
  // sessions_epoch_ in the job).
  bool FitsAnySession(const Job& job) const;
  // Puts the jobs set aside as unplaceable back in the queue once the set
  // of sessions changed.
  void ReviveUnplaceable();

  // fencing.cc
  // How a session stands to the attempt a result names.
  enum class Standing {
    kHolder,    // it holds that lease (now given up)
    kLate,      // a late result the fencing rules let in
    kUnleased,  // neither: the result is dropped
  };
  Standing TakeStanding(Session& session, Job& job, const ChunkReport& result, int64_t now);
  // Counts a dropped result; false once the session has sent too many.
  // `harmless`: it could change nothing anyway (its chunk is done, or its
  // job was restored and the process before may have leased it).
  bool DropUnleased(Session& session, const ChunkReport& result, bool harmless,
                    const char* why);

  // persist.cc
  JobSnapshot SnapshotOf(const Job& job) const;

  // views.cc
  std::string WorkerNameOf(const Job& job, uint32_t worker) const;
  JobView ViewOf(const Job& job) const;
  // "" unless the job is queued and no connected worker can take it.
  std::string WaitingReason(const Job& job) const;
  JobReport ReportOf(const Job& job) const;
  void DescribeReference(const Job& job, JobReport* report) const;
  WorkerReport WorkerReportOf(const WorkerTotals& totals, int64_t wall_ns) const;

  // Cancels the started jobs whose wall time passed their time limit.
  void EnforceTimeLimits();
  // Deletes the oldest finished jobs past retain_jobs / retain_for_ns.
  void ForgetOldJobs();
  void Retain(const Job& job);  // a job that just became terminal

  const Clock* clock_;
  SchedulerOptions options_;

  std::map<JobId, std::unique_ptr<Job>> jobs_;
  JobId next_job_id_ = 1;
  absl::flat_hash_map<std::string, JobId> request_ids_;
  // Jobs with chunks waiting, in dispatch order: higher priority, then older.
  std::set<std::pair<int32_t, JobId>> queued_;  // (-priority, id)
  // Queued jobs no live session fits (a selector nobody matches, an
  // executor nobody runs): out of queued_, so a dispatch never walks them
  // (9,900 of them made every dispatch 5x dearer); back in queued_ when the
  // set of sessions changes (unplaceable_epoch_ != sessions_epoch_).
  std::set<std::pair<int32_t, JobId>> unplaceable_;
  uint64_t unplaceable_epoch_ = 0;
  absl::btree_set<JobId> active_;               // jobs not terminal
  absl::btree_set<JobId> time_limited_;         // active jobs with a time limit
  std::vector<JobId> held_new_;                 // submitted since TakeHeldJobs
  std::vector<JobId> finished_;
  std::deque<std::pair<int64_t, JobId>> retained_;  // terminal jobs: (end wall ns, id), oldest first
  std::vector<JobId> forgotten_;
  int64_t terminal_jobs_ = 0;
  absl::flat_hash_set<JobId> dirty_jobs_;  // changed since the last snapshot
  // Final snapshots of jobs that ended since the last TakeDirtySnapshots,
  // taken before the job was compacted.
  std::vector<JobSnapshot> final_snapshots_;
  int64_t last_backup_scan_ns_ = 0;
  SchedulerCounters counters_;
  DurationHistogram chunk_durations_;
  std::deque<JobId> timelines_kept_;  // finished jobs that keep a timeline, oldest first
  ClusterStream stream_;
  bool dispatch_paused_ = false;
  bool shutting_down_ = false;
  int64_t last_expiry_check_ns_ = 0;
  int64_t stalls_ = 0;
  // Until then, a result for a chunk of a restored job is let in from any
  // session: the leases of the process before were not saved.
  int64_t restore_grace_until_ns_ = 0;
  // The cluster's recent nanoseconds per decrement (per slot), for
  // stragglers of jobs that have no finished chunk yet; 0 until known.
  double ns_per_decrement_ = 0;

  absl::btree_map<uint32_t, WorkerRecord> workers_;  // by key, in order of first contact
  uint32_t next_worker_key_ = 0;
  absl::flat_hash_map<std::string, uint32_t> worker_index_;
  absl::flat_hash_map<SessionId, Session> sessions_;
  SessionId next_session_id_ = 1;
  absl::btree_set<SessionId> hungry_;  // sessions with credits left
  // Hungry sessions that no queued job fits (placement, executor, caps):
  // skipped by Dispatch until the queue changes (queue_epoch_) or they
  // grant credits again, so idle workers nothing fits cost nothing per event.
  absl::btree_set<SessionId> parked_;
  uint64_t queue_epoch_ = 0;   // bumped when a job may offer more chunks
  uint64_t parked_epoch_ = 0;  // queue_epoch_ when parked_ was filled
  uint64_t sessions_epoch_ = 0;  // bumped when the set of live sessions changes
  std::vector<SessionId> dirty_;       // sessions with outbox messages
  std::vector<std::pair<SessionId, Outbox>> closed_outboxes_;
};

}  // namespace tminus
