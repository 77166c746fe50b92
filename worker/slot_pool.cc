#include "worker/slot_pool.h"

#include "common/clock.h"
#include "common/kernel.h"
#include "common/logging.h"
#include "worker/child_process.h"

namespace tminus {

SlotPool::SlotPool(PoolOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  for (int slot = 0; slot < options_.slots; ++slot) {
    runners_.emplace_back([this, slot] { RunnerLoop(slot); });
  }
}

SlotPool::~SlotPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [key, flag] : flags_) flag.cancel->store(true);
  }
  for (std::thread& runner : runners_) runner.join();
}

void SlotPool::Submit(uint64_t epoch, const v1::Lease& lease) {
  absl::MutexLock lock(&mu_);
  JobFlag& flag = flags_[{epoch, lease.job_id()}];
  if (flag.cancel == nullptr) flag.cancel = std::make_shared<std::atomic<bool>>(false);
  ++flag.outstanding;
  queue_.push_back(Queued{epoch, lease, flag.cancel});
}

void SlotPool::CancelJob(uint64_t job) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, flag] : flags_) {
    if (key.second == job) flag.cancel->store(true);
  }
}

void SlotPool::AbandonBefore(uint64_t epoch) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, flag] : flags_) {
    if (key.first < epoch) flag.cancel->store(true);
  }
}

void SlotPool::Release(uint64_t epoch, uint64_t job) {
  absl::MutexLock lock(&mu_);
  auto it = flags_.find({epoch, job});
  if (it != flags_.end() && --it->second.outstanding == 0) flags_.erase(it);
}

void SlotPool::RunnerLoop(int slot) {
  std::unique_ptr<ChildProcess> child;
  if (options_.processes) child = std::make_unique<ChildProcess>(options_.child_binary);
  for (;;) {
    Queued item;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    busy_.fetch_add(1);
    v1::ChunkResult result = Execute(slot, item, child.get());
    busy_.fetch_sub(1);
    Release(item.epoch, item.lease.job_id());
    sink_(item.epoch, std::move(result));
  }
}

v1::ChunkResult SlotPool::Execute(int slot, const Queued& item, ChildProcess* child) {
  const v1::Lease& lease = item.lease;
  v1::ChunkResult result;
  result.set_job_id(lease.job_id());
  result.set_chunk(lease.chunk());
  result.set_attempt(lease.attempt());
  result.set_slot(slot);
  result.set_executor(lease.executor());
  const uint64_t count = static_cast<uint64_t>(lease.count());
  const RealClock* clock = RealClock::Get();
  result.set_start_wall_ns(clock->WallNs());
  result.set_start_mono_ns(clock->MonoNs());
  uint64_t done = 0;
  if (item.cancel->load()) {
    // Cancelled while queued: nothing ran.
  } else if (lease.executor() == v1::EXECUTOR_THREADS) {
    const int64_t cpu_start = ThreadCpuNs();
    done = Countdown(count, item.cancel.get());
    result.set_cpu_ns(ThreadCpuNs() - cpu_start);
  } else if (lease.executor() == v1::EXECUTOR_PROCESSES && child != nullptr) {
    absl::StatusOr<ChildRun> run = child->Run(count, *item.cancel, options_.kill_grace);
    if (!run.ok()) {
      Logger("worker")->warn("job={} chunk={} slot={} {}", lease.job_id(), lease.chunk(), slot,
                             run.status().ToString());
      result.set_outcome(v1::CHUNK_OUTCOME_FAILED);
      result.set_error(std::string(run.status().message()));
      result.set_end_mono_ns(clock->MonoNs());
      return result;
    }
    done = run->done;
    result.set_cpu_ns(run->cpu_ns);
  } else {
    result.set_end_mono_ns(clock->MonoNs());
    result.set_outcome(v1::CHUNK_OUTCOME_FAILED);
    result.set_error("executor not supported by this worker");
    return result;
  }
  result.set_end_mono_ns(clock->MonoNs());
  result.set_decrements(static_cast<int64_t>(done));
  result.set_outcome(done == count ? v1::CHUNK_OUTCOME_OK : v1::CHUNK_OUTCOME_CANCELLED);
  return result;
}

}  // namespace tminus
