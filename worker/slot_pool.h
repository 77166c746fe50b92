// The worker's slots: `slots` runner threads sharing one queue of leases.
// A runner runs a lease in its own thread (threads executor) or hands it to
// its own long-lived child process (processes executor), then reports one
// result per lease through the sink.
//
// Threading: thread-safe. The sink is called from runner threads without any
// lock of the pool held.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "tminus/v1/worker.pb.h"

namespace tminus {

struct PoolOptions {
  int slots = 1;
  bool processes = true;           // may run the processes executor
  std::string child_binary;        // this binary, for `--child`
  std::chrono::milliseconds kill_grace{2000};  // cancelled child: SIGUSR1, then SIGKILL after this
};

// What one lease came to. Plain data: the session client copies it straight
// into the outgoing Results message.
struct RunResult {
  uint64_t job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  v1::ChunkOutcome outcome = v1::CHUNK_OUTCOME_UNSPECIFIED;
  int64_t decrements = 0;
  int64_t start_mono_ns = 0;
  int64_t end_mono_ns = 0;
  int64_t start_wall_ns = 0;
  int64_t cpu_ns = 0;
  int32_t slot = 0;
  v1::Executor executor = v1::EXECUTOR_UNSPECIFIED;
  std::string error;
};

class SlotPool {
 public:
  // `epoch` tells results of an old session apart from the current one.
  using Sink = std::function<void(uint64_t epoch, const RunResult& result)>;

  SlotPool(PoolOptions options, Sink sink);
  ~SlotPool();  // stops the runners and the children

  void Submit(uint64_t epoch, const google::protobuf::RepeatedPtrField<v1::Lease>& leases);
  // Stops queued and running chunks of one job (all chunks when `chunks` is
  // empty); their results say CANCELLED.
  void Cancel(uint64_t job, const std::vector<int64_t>& chunks);
  // Stops everything from sessions before `epoch` (their stream is gone).
  void AbandonBefore(uint64_t epoch);
  // Drain: queued chunks come back CANCELLED without running; running ones
  // go on. Returns once nothing runs or `grace` has passed; then stops what
  // still runs (CANCELLED too). Every lease has its result when it returns.
  void Drain(std::chrono::milliseconds grace);

  int slots() const { return options_.slots; }

 private:
  struct Queued {
    uint64_t epoch;
    v1::Lease lease;
    std::shared_ptr<std::atomic<bool>> job_cancel;
  };
  struct JobFlag {
    std::shared_ptr<std::atomic<bool>> cancel;
    int64_t outstanding = 0;
  };
  // What one runner is doing; its cancel flag is what the kernel polls.
  struct Slot {
    std::atomic<bool> cancel{false};
    bool running = false;
    uint64_t epoch = 0;
    uint64_t job = 0;
    int64_t chunk = 0;
  };

  void RunnerLoop(int slot);
  void Execute(int slot, const Queued& item, class ChildProcess* child, RunResult* result);
  void Release(int slot, uint64_t epoch, uint64_t job) ABSL_LOCKS_EXCLUDED(mu_);
  // One fewer chunk of (epoch, job) queued or running; forgets its flag at 0.
  void DropFlag(uint64_t epoch, uint64_t job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Idle() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const PoolOptions options_;
  const Sink sink_;
  std::atomic<int64_t> busy_{0};

  mutable absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // (epoch, job) -> its cancel flag, while it has chunks queued or running.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, JobFlag> flags_ ABSL_GUARDED_BY(mu_);
  // Single chunks cancelled while queued (a backup attempt that lost).
  absl::flat_hash_set<std::pair<uint64_t, int64_t>> cancelled_chunks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> runners_;
};

}  // namespace tminus
