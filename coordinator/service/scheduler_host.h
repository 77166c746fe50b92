// Owns the Scheduler and serialises every call to it under one mutex; after
// each call it hands the scheduler's outgoing messages to the live session
// streams and wakes the watchers of jobs that ended.
//
// Threading: thread-safe. Lock order: SchedulerHost::mu_ before any
// reactor's own mutex (sinks and listeners are called with mu_ held and must
// not call back into the host).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <vector>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "coordinator/core/scheduler.h"
#include "coordinator/store/store.h"

namespace tminus {

// A live worker stream. Deliver and DeliverAck must not block.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void Deliver(Outbox outbox) = 0;
  // Every Results message up to `seq` is durable.
  virtual void DeliverAck(uint64_t seq) = 0;
};

// A WatchJob stream. OnJobFinished must not block.
class JobListener {
 public:
  virtual ~JobListener() = default;
  virtual void OnJobFinished() = 0;
  // The coordinator is stopping: end the stream soon (UNAVAILABLE), so the
  // shutdown need not wait out its grace for it. Must not block.
  virtual void OnShutdown() {}
};

class SchedulerHost {
 public:
  SchedulerHost(const Clock* clock, SchedulerOptions options, std::unique_ptr<Store> store);
  ~SchedulerHost();

  // Loads the jobs saved in the store into the scheduler. Call once, before
  // serving. DATA_LOSS or UNAVAILABLE from the store, INVALID_ARGUMENT for a
  // saved job that makes no sense.
  absl::Status Recover();

  // Runs `done` (without the lock held) once everything changed so far is
  // durable (OK: at once for the in-memory store, after the next commit
  // otherwise), or with the store's error when that commit failed
  // (RESOURCE_EXHAUSTED for a full disk, UNAVAILABLE otherwise, the message
  // starting "state store: "). Used to answer SubmitJob and CancelJob only
  // when they would survive a crash: a job whose commit failed is dropped.
  void AfterCommit(std::function<void(const absl::Status&)> done);
  // False while commits fail (readiness reports NOT_SERVING).
  bool store_healthy() const;

  // Keeps a scaling study for the dashboard: `done` gets it with its id and
  // time (the clock's wall time now) once it is durable, or the store's error.
  using StudyDone = std::function<void(const absl::StatusOr<StudyRecord>&)>;
  void RecordStudy(StudyRecord study, StudyDone done);
  // The newest studies first, at most kStudiesKept.
  static constexpr size_t kStudiesKept = 100;
  std::vector<std::shared_ptr<const StudyRecord>> Studies() const;
  // Called with each commit's duration in seconds and whether it failed
  // (metrics); set before serving.
  void set_commit_observer(std::function<void(double, bool)> observer) {
    commit_observer_ = std::move(observer);
  }
  // Results message `seq` of this session has been applied; acknowledge it
  // once durable.
  void NoteApplied(SessionId session, uint64_t seq);
  // Commits what is pending now (at shutdown).
  void CommitNow();

  // Runs fn(scheduler) under the lock, then delivers what it produced.
  template <typename Fn>
  auto Run(Fn&& fn) {
    MutexLock lock(&mu_);
    if constexpr (std::is_void_v<decltype(fn(scheduler_))>) {
      fn(scheduler_);
      FlushLocked();
    } else {
      auto result = fn(scheduler_);
      FlushLocked();
      return result;
    }
  }

  // Opens a scheduler session and registers its sink in one step, so no
  // message for the session can be lost in between. `on_open` runs under the
  // lock before anything is delivered (the Welcome goes first).
  template <typename OnOpen>
  absl::StatusOr<SessionId> OpenSession(const WorkerHello& hello, SessionSink* sink,
                                        OnOpen&& on_open) {
    MutexLock lock(&mu_);
    absl::StatusOr<SessionId> id = scheduler_.OpenSession(hello);
    if (id.ok()) {
      sinks_[*id] = sink;
      on_open();
    }
    FlushLocked();
    return id;
  }
  // Closes the scheduler session (releasing its leases) and forgets the sink.
  void CloseSession(SessionId id, SessionSink* sink);

  void AddListener(JobId job, JobListener* listener);
  void RemoveListener(JobId job, JobListener* listener);

  // Starts the threads that expire silent sessions and commit to the store;
  // they stop in the destructor.
  void StartHousekeeping();
  // The coordinator is stopping: the scheduler opens no session and charges
  // no attempt from now on (Scheduler::BeginShutdown), every worker stream
  // ends with UNAVAILABLE and every watch is told to end.
  void CloseAllSessions();

 private:
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One group commit: snapshots, acks and callbacks taken under the lock,
  // the store written without it, then acks and callbacks delivered.
  void CommitOnce() ABSL_LOCKS_EXCLUDED(mu_);
  void CommitLoop();

  Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one commit at a time
  mutable Mutex mu_;
  const Clock* const clock_;  // the scheduler's; also dates the studies
  Scheduler scheduler_ ABSL_GUARDED_BY(mu_);
  // The scheduler's housekeeping_interval_ns: its stall detector takes a
  // longer gap between two ticks for a coordinator that did not run.
  const absl::Duration housekeeping_every_;
  absl::flat_hash_map<SessionId, SessionSink*> sinks_ ABSL_GUARDED_BY(mu_);
  std::multimap<JobId, JobListener*> listeners_ ABSL_GUARDED_BY(mu_);
  // After a failed commit: put the batch back, drop the jobs it would have
  // saved first, keep their acks for later.
  void KeepStudiesLocked(const std::vector<StudyRecord>& studies) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CommitFailedLocked(const absl::Status& error, std::vector<JobSnapshot> batch,
                          const std::vector<JobId>& held,
                          const absl::flat_hash_map<SessionId, uint64_t>& acks)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<Store> store_;  // used by one commit at a time (commit_mu_)
  absl::flat_hash_map<SessionId, uint64_t> acks_due_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(const absl::Status&)>> after_commit_ ABSL_GUARDED_BY(mu_);
  // Snapshots not yet committed (a failed commit puts its batch back here;
  // a newer snapshot of the same job replaces an older one).
  absl::flat_hash_map<JobId, JobSnapshot> unsaved_ ABSL_GUARDED_BY(mu_);
  std::vector<JobId> deleted_ ABSL_GUARDED_BY(mu_);  // past --retain, not yet deleted
  bool store_ok_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<std::pair<StudyRecord, StudyDone>> pending_studies_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<const StudyRecord>> studies_ ABSL_GUARDED_BY(mu_);  // newest first
  uint64_t next_study_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::function<void(double, bool)> commit_observer_;
  int64_t failed_commits_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Notification stop_;
  std::thread housekeeping_;
  std::thread committer_;
};

}  // namespace tminus
