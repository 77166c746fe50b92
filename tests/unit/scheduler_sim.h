// A discrete-event simulation of workers around the real Scheduler, on a
// fake clock: leases arrive through the outboxes, each simulated slot runs a
// chunk for count / speed nanoseconds, results and credits go back. No
// sockets, no threads, no sleeping.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "coordinator/core/scheduler.h"
#include "tests/testing/fake_clock.h"

namespace tminus::testing {

struct SimWorker {
  std::string name;
  int slots = 1;
  double speed = 1.0;  // decrements per nanosecond
  std::deque<LeaseGrant> queued;
  int running = 0;
  std::map<JobId, int> running_of;  // by job; a lease's max_running caps it, as in the worker
  double cpu_share = 1.0;  // of a CPU each running slot gets (its chunks' cpu_ns / duration)
  std::vector<bool> slot_busy;
  uint64_t incarnation = 0;
  int64_t max_leases_held = 0;
  int64_t credits_granted = 0;
  int64_t results_sent = 0;
  std::vector<JobId> cancels_seen;
  std::vector<JobId> kernels_seen;  // jobs whose kernel definition it was sent
  std::vector<JobId> forgets_seen;
  // A lease that came before its job's kernel definition (a protocol breach).
  int64_t leases_without_kernel = 0;
  int drains_seen = 0;
  bool closed = false;
  absl::Status close_status;
};

// A result as a worker would send it.
ChunkReport SimResult(JobId job, int64_t chunk, int32_t attempt, int64_t decrements,
                      ChunkOutcome outcome = ChunkOutcome::kOk);
// The correctness check every finished job must pass: succeeded, and the
// accepted decrements add up to n with every chunk counted once.
void ExpectExact(const Scheduler& scheduler, JobId id);

class Sim {
 public:
  explicit Sim(SchedulerOptions options = {}) : scheduler_(&clock_, options) {}

  Scheduler& scheduler() { return scheduler_; }
  FakeClock& clock() { return clock_; }
  SimWorker& worker(SessionId id) { return workers_[id]; }

  SessionId AddWorker(const std::string& name, int slots, double speed = 1.0, int prefetch = 1,
                      bool threads = true, bool processes = true);
  // A worker process of this incarnation (0: a new one) says Hello; the
  // scheduler's answer as it is.
  absl::StatusOr<SessionId> TryAddWorker(const std::string& name, int slots,
                                         uint64_t incarnation = 0, double speed = 1.0,
                                         int prefetch = 1);
  // A worker with labels (placement tests).
  SessionId AddLabelledWorker(const std::string& name, int slots, Labels labels,
                              double speed = 1.0, int prefetch = 1);
  // A worker that allows these kernels besides the countdown.
  SessionId AddKernelWorker(const std::string& name, int slots, KernelSet kernels);
  JobId Submit(int64_t n, int64_t chunks, int32_t priority = 0, int32_t max_slots = 0,
               ExecutorKind executor = ExecutorKind::kThreads);
  // Any spec (placement, caps); the scheduler must accept it.
  JobId SubmitSpec(const JobSpec& spec);
  // Runs events until nothing is left or `max_events` ran. Returns events run.
  int64_t Run(int64_t max_events = 10'000'000);
  // Runs one completion event; false when none is pending. After each, the
  // scheduler's lease invariants must hold (a test failure otherwise).
  bool Step();
  // Like Step, but the housekeeping tick runs every 500 ms of simulated time
  // in between (live workers heartbeat first, as real ones do). False when
  // no completion event is pending.
  bool StepTicking();
  // Heartbeats from every live worker, then ExpireSilentSessions.
  void Tick();
  // Delivers one result of this worker's, as it would (credits too).
  void Deliver(SessionId id, const ChunkReport& result);
  // Moves outbox messages to the simulated workers and starts idle slots.
  void Pump();
  int64_t held(SessionId id) const;
  // The most chunks of the job that ran at once, over all workers.
  int peak_running(JobId job) const {
    const auto it = peak_running_.find(job);
    return it == peak_running_.end() ? 0 : it->second;
  }
  // Checks the lease invariants only every `n` pumps (big simulations).
  void CheckInvariantsEvery(int64_t n) { check_every_ = n; }

 private:
  struct Event {
    int64_t at;
    uint64_t seq;
    SessionId session;
    LeaseGrant lease;
    int32_t slot;
    int64_t started;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : seq > other.seq;
    }
  };
  void StartIdleSlots(SessionId id);
  // A Hello for a simulated worker (incarnation 0: a new one).
  WorkerHello HelloOf(const std::string& name, int slots, uint64_t incarnation = 0);
  SessionId Joined(SessionId id, const WorkerHello& hello, double speed, int prefetch);

  FakeClock clock_;
  Scheduler scheduler_;
  std::map<SessionId, SimWorker> workers_;
  std::map<SessionId, int64_t> held_;
  std::map<JobId, int> running_of_;  // over all workers
  std::map<JobId, int> peak_running_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  uint64_t seq_ = 0;
  int64_t next_tick_ns_ = 0;
  int64_t check_every_ = 1;
  int64_t pumps_ = 0;
  uint64_t incarnation_ = 1;
};

}  // namespace tminus::testing
