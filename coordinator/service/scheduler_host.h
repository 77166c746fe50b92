// Owns the Scheduler and serialises every call to it under one mutex; after
// each call it hands the scheduler's outgoing messages to the live session
// streams and wakes the watchers of jobs that ended.
//
// Threading: thread-safe. Lock order: SchedulerHost::mu_ before any
// reactor's own mutex (sinks and listeners are called with mu_ held and must
// not call back into the host).
#pragma once

#include <atomic>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "coordinator/core/scheduler.h"

namespace tminus {

// A live worker stream. Deliver must not block.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void Deliver(Outbox outbox) = 0;
};

// A WatchJob stream. OnJobFinished must not block.
class JobListener {
 public:
  virtual ~JobListener() = default;
  virtual void OnJobFinished() = 0;
};

class SchedulerHost {
 public:
  SchedulerHost(const Clock* clock, SchedulerOptions options);
  ~SchedulerHost();

  // Runs fn(scheduler) under the lock, then delivers what it produced.
  template <typename Fn>
  auto Run(Fn&& fn) {
    absl::MutexLock lock(&mu_);
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
    absl::MutexLock lock(&mu_);
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

  // Starts the thread that expires silent sessions; stops in the destructor.
  void StartHousekeeping();
  // Ends every worker stream with UNAVAILABLE (coordinator shutting down).
  void CloseAllSessions();

 private:
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  Scheduler scheduler_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SessionId, SessionSink*> sinks_ ABSL_GUARDED_BY(mu_);
  std::multimap<JobId, JobListener*> listeners_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_;
  std::thread housekeeping_;
};

}  // namespace tminus
