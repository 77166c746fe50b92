// The worker's slots: `slots` runner threads sharing one queue of leases.
// A runner runs a lease in its own thread (threads executor) or hands it to
// its own long-lived child process (processes executor), then reports one
// result per lease through the sink: every lease submitted ends in exactly
// one result, whether it ran, failed, was stopped or was handed back.
//
// Batches: when a job's chunks are short, a runner takes several of its
// leases at once and reports their results in one sink call (sooner if the
// batch runs long); BatchPolicy says how many and ResultFlush how soon
// (worker/batch_policy.h), on the real clock. A child process
// gets a whole batch in one pipe round trip. Leases taken but not started
// are still handed back like queued ones.
//
// Threading: thread-safe. The sink is called from runner threads (and from
// the thread that drops or hands back queued leases) without any lock of the
// pool held.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "worker/batch_policy.h"
#include "worker/child_process.h"
#include "worker/command_kernel.h"
#include "worker/lease.h"

namespace tminus {

struct PoolOptions {
  int slots = 1;
  bool processes = true;           // may run the processes executor
  std::string child_binary;        // this binary, for `--child`
  std::chrono::milliseconds kill_grace{2000};  // stopped child: SIGUSR1, then SIGKILL after this
  // --pin: slot i's thread (and its child process) runs on pin_cpus[i % size].
  std::vector<int> pin_cpus;
  CommandOptions command;  // how the command kernel's programs run
};

// What the pool has run, for the metrics (monotonic counts).
struct PoolStats {
  std::atomic<int64_t> chunks[2] = {0, 0};      // by executor: threads, processes
  std::atomic<int64_t> decrements[2] = {0, 0};
  ChildCounters children;
};

// One lease's result; `epoch` tells results of an old session apart from
// the current one.
struct Finished {
  uint64_t epoch = 0;
  RunResult result;
};

class SlotPool {
 public:
  static constexpr int64_t kBatchBudgetNs = BatchPolicy::kBatchBudgetNs;
  static constexpr size_t kMaxBatch = BatchPolicy::kMaxBatch;

  using Sink = std::function<void(const std::vector<Finished>& finished)>;

  SlotPool(PoolOptions options, Sink sink);
  ~SlotPool();  // stops the runners and the children

  // Runs the session core's commands, in their order.
  void Execute(const PoolCommands& commands);

  void Submit(uint64_t epoch, const std::vector<LeaseSpec>& leases);
  // Stops queued and running chunks of one job (all chunks when `chunks` is
  // empty); their results say CANCELLED.
  void Stop(uint64_t job, const std::vector<int64_t>& chunks);
  // Hands back, unrun (CANCELLED), the queued leases of sessions before
  // `epoch`. Running ones go on: their work is still worth reporting.
  void DropQueuedBefore(uint64_t epoch);
  // Hands back every queued lease (a drain).
  void HandBackQueued();
  // Stops everything that runs (a drain past its grace).
  void StopRunning();

  int slots() const { return options_.slots; }
  // Slots running a chunk now.
  int running() const;
  // Chunks on a slot now, by job (jobs with none left out).
  std::vector<std::pair<uint64_t, int32_t>> RunningByJob() const;
  // No lease queued or running.
  bool idle() const;
  // Set by every Submit: a calibration polls it as its kernel's cancel flag,
  // so that work never waits behind a measure of the idle machine.
  std::atomic<bool>& work_arrived() { return work_arrived_; }
  const PoolStats& stats() const { return stats_; }

 private:
  struct Queued {
    uint64_t epoch;
    LeaseSpec lease;
    std::shared_ptr<std::atomic<bool>> job_stop;
    bool handed_back = false;  // taken into a batch, then handed back before it ran
  };
  std::deque<Queued>::iterator FirstRunnable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  struct JobFlag {
    std::shared_ptr<std::atomic<bool>> stop;
    int64_t outstanding = 0;
  };
  // What one runner is doing; its stop flag is what the kernel polls.
  struct Slot {
    std::atomic<bool> stop{false};
    bool running = false;
    uint64_t job = 0;
    std::vector<int64_t> chunks;    // running now (several: a child's batch)
    std::vector<Queued> followers;  // later leases of chunks it runs or holds in its batch
    std::deque<Queued> batch;       // taken, not started yet
  };

  void RunnerLoop(int slot);
  // Runs the slot's batch one lease at a time in this thread.
  void RunThreads(int slot, Slot* self, std::vector<Finished>* finished);
  // Runs the slot's batch (one job's leases) in its child, in one round trip.
  void RunInChild(int slot, Slot* self, ChildProcess* child, std::vector<Finished>* finished);
  // `wall_minus_mono_ns`: the wall clock's offset, read once per batch.
  void RunLease(int slot, const Queued& item, std::atomic<bool>* stop, int64_t wall_minus_mono_ns,
                RunResult* result);
  // A python or command kernel's chunk, in this thread (python: in this
  // process's interpreter; command: its program).
  void RunClientKernel(const LeaseSpec& lease, std::atomic<bool>* stop, RunResult* result);
  // A python chunk in the slot's child process.
  void RunPythonInChild(const LeaseSpec& lease, ChildProcess* child, std::atomic<bool>* stop,
                        RunResult* result);
  // Waits for work and moves a batch from the queue into the slot; false
  // when stopping. A lease of a chunk another slot runs becomes its follower.
  bool TakeBatch(Slot* self) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks the slot running `item` too; false (its result in `finished`)
  // when it was handed back while it waited in the batch.
  bool Admit(Slot* self, const Queued& item, std::vector<Finished>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The slot is free again: `results` of `ran` (in order) and their
  // followers' copies go to `finished`.
  void Release(Slot* self, const std::vector<Queued>& ran, const std::vector<RunResult>& results,
               std::vector<Finished>* finished) ABSL_LOCKS_EXCLUDED(mu_);
  // The followers of `lease`'s chunk leave the slot, with a copy of
  // `result` if it is OK, else handed back.
  void EmitFollowers(Slot* self, const LeaseSpec& lease, const RunResult* result,
                     std::vector<Finished>* finished) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Count(const RunResult& result);
  static void Finish(uint64_t count, uint64_t done, RunResult* result);
  // A RunResult's cpu_ns until its batch's share is known.
  static constexpr int64_t kCpuFromBatch = -2;
  // The thread's CPU clock at the start of a batch of short chunks; Apply
  // gives each of finished[first..] marked kCpuFromBatch its duration times
  // the batch's CPU share.
  struct BatchCpu {
    int64_t start_cpu_ns = 0;
    int64_t start_mono_ns = 0;
    size_t first = 0;
    void Apply(std::vector<Finished>* finished) const;
  };
  // Takes the queued leases `pick` selects out of the queue (and out of the
  // slots' batches), then reports each as handed back.
  template <typename Pick>
  void HandBack(Pick pick) ABSL_LOCKS_EXCLUDED(mu_);
  template <typename Pick>
  void HandBackLocked(Pick pick, std::vector<Finished>* finished)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One fewer chunk of (epoch, job) queued or running; forgets its flag at 0.
  void DropFlag(uint64_t epoch, uint64_t job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PoolOptions options_;
  const Sink sink_;
  PoolStats stats_;
  std::atomic<bool> work_arrived_{false};

  mutable Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // (epoch, job) -> its stop flag, while it has chunks queued or running.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, JobFlag> flags_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // How many leases a runner takes at once, from the durations of the OK
  // chunks of each job with leases here.
  BatchPolicy batch_policy_ ABSL_GUARDED_BY(mu_);
  // (job, chunk) -> the slot that runs it or holds it in its batch: a second
  // lease of it becomes that slot's follower.
  using ChunkKey = std::pair<uint64_t, int64_t>;
  absl::flat_hash_map<ChunkKey, Slot*> holders_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> runners_;
};

// A lease that never ran: its result says CANCELLED.
RunResult HandedBack(const LeaseSpec& lease);

}  // namespace tminus
