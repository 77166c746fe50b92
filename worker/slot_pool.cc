#include "worker/slot_pool.h"

#include <algorithm>

#include "common/clock.h"
#include "common/kernel.h"
#include "common/logging.h"
#include "common/topology.h"
#include "worker/child_process.h"

namespace tminus {

RunResult HandedBack(const LeaseSpec& lease) {
  RunResult result;
  result.job = lease.job;
  result.chunk = lease.chunk;
  result.attempt = lease.attempt;
  result.executor = lease.executor;
  result.outcome = RunOutcome::kCancelled;
  return result;
}

SlotPool::SlotPool(PoolOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  {
    MutexLock lock(&mu_);
    for (int slot = 0; slot < options_.slots; ++slot) slots_.push_back(std::make_unique<Slot>());
  }
  for (int slot = 0; slot < options_.slots; ++slot) {
    runners_.emplace_back([this, slot] { RunnerLoop(slot); });
  }
}

SlotPool::~SlotPool() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& slot : slots_) slot->stop = true;
  }
  for (std::thread& runner : runners_) runner.join();
}

void SlotPool::Execute(const PoolCommands& commands) {
  for (const StopOrder& order : commands.stop) Stop(order.job, order.chunks);
  if (!commands.run.empty()) Submit(commands.epoch, commands.run);
  if (commands.drop_queued_before != 0) DropQueuedBefore(commands.drop_queued_before);
  if (commands.hand_back_queued) HandBackQueued();
  if (commands.stop_running) StopRunning();
}

void SlotPool::Submit(uint64_t epoch, const std::vector<LeaseSpec>& leases) {
  MutexLock lock(&mu_);  // once per Assign batch
  JobFlag* flag = nullptr;
  uint64_t flag_job = 0;
  for (const LeaseSpec& lease : leases) {
    if (flag == nullptr || flag_job != lease.job) {
      flag = &flags_[{epoch, lease.job}];
      flag_job = lease.job;
      if (flag->stop == nullptr) flag->stop = std::make_shared<std::atomic<bool>>(false);
    }
    ++flag->outstanding;
    queue_.push_back(Queued{epoch, lease, flag->stop});
  }
}

void SlotPool::Stop(uint64_t job, const std::vector<int64_t>& chunks) {
  auto listed = [&chunks](int64_t chunk) {
    return chunks.empty() || std::find(chunks.begin(), chunks.end(), chunk) != chunks.end();
  };
  {
    MutexLock lock(&mu_);
    if (chunks.empty()) {
      for (auto& [key, flag] : flags_) {
        if (key.second == job) flag.stop->store(true);
      }
    }
    for (auto& slot : slots_) {
      if (slot->running && slot->job == job && listed(slot->chunk)) slot->stop = true;
    }
  }
  // Single chunks (a backup attempt that lost) leave the queue at once.
  if (!chunks.empty()) {
    HandBack([&](const Queued& item) { return item.lease.job == job && listed(item.lease.chunk); });
  }
}

template <typename Pick>
void SlotPool::HandBack(Pick pick) {
  std::vector<Queued> picked;
  {
    MutexLock lock(&mu_);
    auto keep = std::stable_partition(queue_.begin(), queue_.end(),
                                      [&](const Queued& item) { return !pick(item); });
    for (auto it = keep; it != queue_.end(); ++it) {
      DropFlag(it->epoch, it->lease.job);
      picked.push_back(std::move(*it));
    }
    queue_.erase(keep, queue_.end());
  }
  for (const Queued& item : picked) sink_(item.epoch, HandedBack(item.lease));
}

void SlotPool::DropQueuedBefore(uint64_t epoch) {
  HandBack([epoch](const Queued& item) { return item.epoch < epoch; });
}

void SlotPool::HandBackQueued() {
  HandBack([](const Queued&) { return true; });
}

int SlotPool::running() const {
  MutexLock lock(&mu_);
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(),
                                        [](const auto& slot) { return slot->running; }));
}

void SlotPool::StopRunning() {
  MutexLock lock(&mu_);
  for (auto& slot : slots_) {
    if (slot->running) slot->stop = true;
  }
}

std::vector<SlotPool::Queued> SlotPool::Release(int slot, uint64_t epoch, uint64_t job) {
  MutexLock lock(&mu_);
  Slot& self = *slots_[static_cast<size_t>(slot)];
  self.running = false;
  DropFlag(epoch, job);
  std::vector<Queued> followers = std::move(self.followers);
  self.followers.clear();
  for (const Queued& follower : followers) DropFlag(follower.epoch, follower.lease.job);
  return followers;
}

void SlotPool::DropFlag(uint64_t epoch, uint64_t job) {
  auto it = flags_.find({epoch, job});
  if (it != flags_.end() && --it->second.outstanding == 0) flags_.erase(it);
}

std::deque<SlotPool::Queued>::iterator SlotPool::FirstRunnable() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    const int32_t cap = it->lease.max_running;
    if (cap <= 0) return it;
    const uint64_t job = it->lease.job;
    const auto running = std::count_if(slots_.begin(), slots_.end(), [job](const auto& slot) {
      return slot->running && slot->job == job;
    });
    if (running < cap) return it;
  }
  return queue_.end();
}

std::optional<SlotPool::Queued> SlotPool::Take(Slot* self) {
  MutexLock lock(&mu_);
  for (;;) {
    // The first queued lease whose job is under its per-worker cap; the
    // others wait for one of that job's chunks to end.
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || FirstRunnable() != queue_.end();
    };
    mu_.Await(ready);
    if (stopping_) return std::nullopt;
    const auto next = FirstRunnable();
    Queued item = std::move(*next);
    queue_.erase(next);
    auto same_chunk = [&item](const std::unique_ptr<Slot>& slot) {
      return slot->running && slot->job == item.lease.job && slot->chunk == item.lease.chunk;
    };
    auto busy = std::find_if(slots_.begin(), slots_.end(), same_chunk);
    if (busy != slots_.end()) {
      (*busy)->followers.push_back(std::move(item));
      continue;
    }
    self->running = true;
    self->job = item.lease.job;
    self->chunk = item.lease.chunk;
    self->stop = item.job_stop->load();
    return item;
  }
}

void SlotPool::RunnerLoop(int slot) {
  if (!options_.pin_cpus.empty()) {
    // Its child process, started from this thread, inherits the CPU.
    const int cpu = options_.pin_cpus[static_cast<size_t>(slot) % options_.pin_cpus.size()];
    if (!PinThisThreadTo(cpu)) Logger("worker")->warn("slot={} cannot be pinned to CPU {}", slot, cpu);
  }
  std::unique_ptr<ChildProcess> child;
  if (options_.processes) {
    child = std::make_unique<ChildProcess>(options_.child_binary, &stats_.children);
  }
  RunResult result;
  Slot* self = nullptr;
  {
    MutexLock lock(&mu_);
    self = slots_[static_cast<size_t>(slot)].get();
  }
  for (;;) {
    std::optional<Queued> item = Take(self);
    if (!item.has_value()) return;
    RunLease(slot, *item, child.get(), &result);
    if (result.outcome == RunOutcome::kOk) {
      const int kind = result.executor == ExecutorKind::kProcesses ? 1 : 0;
      stats_.chunks[kind].fetch_add(1, std::memory_order_relaxed);
      stats_.decrements[kind].fetch_add(result.decrements, std::memory_order_relaxed);
    }
    const std::vector<Queued> followers = Release(slot, item->epoch, item->lease.job);
    sink_(item->epoch, result);
    for (const Queued& follower : followers) {
      // The same chunk's result under the follower's attempt, if it finished.
      RunResult copy = result.outcome == RunOutcome::kOk ? result : HandedBack(follower.lease);
      copy.attempt = follower.lease.attempt;
      sink_(follower.epoch, copy);
    }
  }
}

// CPU time costs a system call to read; below this many decrements a chunk
// is pure kernel time and its CPU time is taken to be its duration.
constexpr uint64_t kMeasureCpuFrom = uint64_t{1} << 20;

void SlotPool::RunLease(int slot, const Queued& item, ChildProcess* child, RunResult* result) {
  const LeaseSpec& lease = item.lease;
  std::atomic<bool>* stop = nullptr;
  {
    MutexLock lock(&mu_);
    stop = &slots_[static_cast<size_t>(slot)]->stop;
  }
  *result = HandedBack(lease);
  result->slot = slot;
  const uint64_t count = static_cast<uint64_t>(lease.count);
  const RealClock* clock = RealClock::Get();
  result->start_wall_ns = clock->WallNs();
  result->start_mono_ns = clock->MonoNs();
  uint64_t done = 0;
  if (stop->load()) {
    // Stopped (or handed back) while queued: nothing ran.
  } else if (lease.executor == ExecutorKind::kThreads) {
    // The kernel's time is the chunk's: it spans the reads of the thread's
    // CPU clock, system calls where a CPU shared with another process's
    // thread is most often handed over (a wait that is not tminus's doing).
    const bool measure = count >= kMeasureCpuFrom;
    const int64_t cpu_start = measure ? ThreadCpuNs() : 0;
    done = Countdown(count, stop);
    result->cpu_ns = measure ? ThreadCpuNs() - cpu_start : -1;
    result->end_mono_ns = clock->MonoNs();
    result->kernel_ns = result->end_mono_ns - result->start_mono_ns;
  } else if (lease.executor == ExecutorKind::kProcesses && child != nullptr) {
    absl::StatusOr<ChildRun> run = child->Run(count, *stop, options_.kill_grace);
    if (!run.ok()) {
      Logger("worker")->warn("job={} chunk={} slot={} {}", lease.job, lease.chunk, slot,
                             run.status().ToString());
      result->outcome = RunOutcome::kFailed;
      result->error = std::string(run.status().message());
      result->end_mono_ns = clock->MonoNs();
      return;
    }
    done = run->done;
    result->cpu_ns = run->cpu_ns;
    result->kernel_ns = run->kernel_ns;
  } else {
    result->end_mono_ns = clock->MonoNs();
    result->outcome = RunOutcome::kFailed;
    result->error = "executor not supported by this worker";
    return;
  }
  if (result->end_mono_ns == 0) result->end_mono_ns = clock->MonoNs();
  if (result->cpu_ns < 0) result->cpu_ns = result->end_mono_ns - result->start_mono_ns;
  result->decrements = static_cast<int64_t>(done);
  result->outcome = done == count ? RunOutcome::kOk : RunOutcome::kCancelled;
}

}  // namespace tminus
