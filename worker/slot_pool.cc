#include "worker/slot_pool.h"

#include <algorithm>

#include "common/clock.h"
#include "common/kernel.h"
#include "common/logging.h"
#include "worker/child_process.h"

namespace tminus {

SlotPool::SlotPool(PoolOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  {
    absl::MutexLock lock(&mu_);
    for (int slot = 0; slot < options_.slots; ++slot) slots_.push_back(std::make_unique<Slot>());
  }
  for (int slot = 0; slot < options_.slots; ++slot) {
    runners_.emplace_back([this, slot] { RunnerLoop(slot); });
  }
}

SlotPool::~SlotPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& slot : slots_) slot->cancel = true;
  }
  for (std::thread& runner : runners_) runner.join();
}

void SlotPool::Submit(uint64_t epoch, const google::protobuf::RepeatedPtrField<v1::Lease>& leases) {
  absl::MutexLock lock(&mu_);  // once per Assign batch
  JobFlag* flag = nullptr;
  uint64_t flag_job = 0;
  for (const v1::Lease& lease : leases) {
    if (flag == nullptr || flag_job != lease.job_id()) {
      flag = &flags_[{epoch, lease.job_id()}];
      flag_job = lease.job_id();
      if (flag->cancel == nullptr) flag->cancel = std::make_shared<std::atomic<bool>>(false);
    }
    ++flag->outstanding;
    queue_.push_back(Queued{epoch, lease, flag->cancel});
  }
}

void SlotPool::Cancel(uint64_t job, const std::vector<int64_t>& chunks) {
  absl::MutexLock lock(&mu_);
  if (chunks.empty()) {
    for (auto& [key, flag] : flags_) {
      if (key.second == job) flag.cancel->store(true);
    }
  }
  for (auto& slot : slots_) {
    if (!slot->running || slot->job != job) continue;
    if (chunks.empty() || std::find(chunks.begin(), chunks.end(), slot->chunk) != chunks.end()) {
      slot->cancel = true;
    }
  }
  for (int64_t chunk : chunks) cancelled_chunks_.insert({job, chunk});
}

void SlotPool::AbandonBefore(uint64_t epoch) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, flag] : flags_) {
    if (key.first < epoch) flag.cancel->store(true);
  }
  for (auto& slot : slots_) {
    if (slot->running && slot->epoch < epoch) slot->cancel = true;
  }
}

bool SlotPool::Idle() const { return queue_.empty() && busy_.load() == 0; }

void SlotPool::Drain(std::chrono::milliseconds grace) {
  std::deque<Queued> queued;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;  // from now on runners hand chunks back without running them
    queued.swap(queue_);
  }
  for (const Queued& item : queued) {  // handed back at once, not after the running ones
    RunResult result;
    result.job = item.lease.job_id();
    result.chunk = item.lease.chunk();
    result.attempt = item.lease.attempt();
    result.executor = item.lease.executor();
    result.outcome = v1::CHUNK_OUTCOME_CANCELLED;
    {
      absl::MutexLock lock(&mu_);
      DropFlag(item.epoch, item.lease.job_id());
    }
    sink_(item.epoch, result);
  }
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return Idle(); };
  if (!mu_.AwaitWithTimeout(absl::Condition(&idle), absl::FromChrono(grace))) {
    for (auto& slot : slots_) {
      if (slot->running) slot->cancel = true;
    }
    mu_.Await(absl::Condition(&idle));
  }
}

void SlotPool::Release(int slot, uint64_t epoch, uint64_t job) {
  absl::MutexLock lock(&mu_);
  slots_[static_cast<size_t>(slot)]->running = false;
  DropFlag(epoch, job);
}

void SlotPool::DropFlag(uint64_t epoch, uint64_t job) {
  auto it = flags_.find({epoch, job});
  if (it != flags_.end() && --it->second.outstanding == 0) flags_.erase(it);
}

void SlotPool::RunnerLoop(int slot) {
  std::unique_ptr<ChildProcess> child;
  if (options_.processes) child = std::make_unique<ChildProcess>(options_.child_binary);
  RunResult result;
  Slot* self = nullptr;
  {
    absl::MutexLock lock(&mu_);
    self = slots_[static_cast<size_t>(slot)].get();
  }
  for (;;) {
    Queued item;
    bool hand_back = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_.fetch_add(1);
      hand_back = draining_ || cancelled_chunks_.erase({item.lease.job_id(), item.lease.chunk()}) > 0;
      self->running = true;
      self->epoch = item.epoch;
      self->job = item.lease.job_id();
      self->chunk = item.lease.chunk();
      self->cancel = hand_back || item.job_cancel->load();
    }
    Execute(slot, item, child.get(), &result);
    Release(slot, item.epoch, item.lease.job_id());
    sink_(item.epoch, result);
    absl::MutexLock lock(&mu_);
    busy_.fetch_sub(1);  // under mu_: Drain waits on it; only after the sink has the result
  }
}

// CPU time costs a system call to read; below this many decrements a chunk
// is pure kernel time and its CPU time is taken to be its duration.
constexpr uint64_t kMeasureCpuFrom = uint64_t{1} << 20;

void SlotPool::Execute(int slot, const Queued& item, ChildProcess* child, RunResult* result) {
  const v1::Lease& lease = item.lease;
  std::atomic<bool>* cancel = nullptr;
  {
    absl::MutexLock lock(&mu_);
    cancel = &slots_[static_cast<size_t>(slot)]->cancel;
  }
  *result = RunResult{};
  result->job = lease.job_id();
  result->chunk = lease.chunk();
  result->attempt = lease.attempt();
  result->slot = slot;
  result->executor = lease.executor();
  const uint64_t count = static_cast<uint64_t>(lease.count());
  const RealClock* clock = RealClock::Get();
  result->start_wall_ns = clock->WallNs();
  result->start_mono_ns = clock->MonoNs();
  uint64_t done = 0;
  if (cancel->load()) {
    // Cancelled (or handed back) while queued: nothing ran.
  } else if (lease.executor() == v1::EXECUTOR_THREADS) {
    const bool measure = count >= kMeasureCpuFrom;
    const int64_t cpu_start = measure ? ThreadCpuNs() : 0;
    done = Countdown(count, cancel);
    result->cpu_ns = measure ? ThreadCpuNs() - cpu_start : -1;
  } else if (lease.executor() == v1::EXECUTOR_PROCESSES && child != nullptr) {
    absl::StatusOr<ChildRun> run = child->Run(count, *cancel, options_.kill_grace);
    if (!run.ok()) {
      Logger("worker")->warn("job={} chunk={} slot={} {}", lease.job_id(), lease.chunk(), slot,
                             run.status().ToString());
      result->outcome = v1::CHUNK_OUTCOME_FAILED;
      result->error = std::string(run.status().message());
      result->end_mono_ns = clock->MonoNs();
      return;
    }
    done = run->done;
    result->cpu_ns = run->cpu_ns;
  } else {
    result->end_mono_ns = clock->MonoNs();
    result->outcome = v1::CHUNK_OUTCOME_FAILED;
    result->error = "executor not supported by this worker";
    return;
  }
  result->end_mono_ns = clock->MonoNs();
  if (result->cpu_ns < 0) result->cpu_ns = result->end_mono_ns - result->start_mono_ns;
  result->decrements = static_cast<int64_t>(done);
  result->outcome = done == count ? v1::CHUNK_OUTCOME_OK : v1::CHUNK_OUTCOME_CANCELLED;
}

}  // namespace tminus
