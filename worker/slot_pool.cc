#include "worker/slot_pool.h"

#include <algorithm>

#include "common/clock.h"
#include "common/kernel.h"
#include "common/logging.h"
#include "common/text.h"
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
  work_arrived_.store(true, std::memory_order_relaxed);
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
  std::vector<Finished> finished;
  {
    // One critical section: a chunk cannot move from the queue to a slot
    // between the stop of what runs and the hand-back of what waits.
    MutexLock lock(&mu_);
    if (chunks.empty()) {
      for (auto& [key, flag] : flags_) {
        if (key.second == job) flag.stop->store(true);
      }
    }
    for (auto& slot : slots_) {
      if (slot->running && slot->job == job &&
          std::any_of(slot->chunks.begin(), slot->chunks.end(), listed)) {
        slot->stop = true;
      }
    }
    // Single chunks (a backup attempt that lost) leave the queue at once.
    if (!chunks.empty()) {
      HandBackLocked(
          [&](const Queued& item) { return item.lease.job == job && listed(item.lease.chunk); },
          &finished);
    }
  }
  if (!finished.empty()) sink_(finished);
}

template <typename Pick>
void SlotPool::HandBackLocked(Pick pick, std::vector<Finished>* finished) {
  auto keep = std::stable_partition(queue_.begin(), queue_.end(),
                                    [&](const Queued& item) { return !pick(item); });
  for (auto it = keep; it != queue_.end(); ++it) {
    DropFlag(it->epoch, it->lease.job);
    finished->push_back({it->epoch, HandedBack(it->lease)});
  }
  queue_.erase(keep, queue_.end());
  // Taken into a batch but not started: its runner reports it (and its
  // followers); no new follower attaches to it.
  for (auto& slot : slots_) {
    for (Queued& item : slot->batch) {
      if (item.handed_back || !pick(item)) continue;
      item.handed_back = true;
      holders_.erase(ChunkKey{item.lease.job, item.lease.chunk});
    }
  }
}

template <typename Pick>
void SlotPool::HandBack(Pick pick) {
  std::vector<Finished> finished;
  {
    MutexLock lock(&mu_);
    HandBackLocked(pick, &finished);
  }
  if (!finished.empty()) sink_(finished);
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

std::vector<std::pair<uint64_t, int32_t>> SlotPool::RunningByJob() const {
  std::vector<std::pair<uint64_t, int32_t>> by_job;
  MutexLock lock(&mu_);
  for (const auto& slot : slots_) {
    if (!slot->running) continue;
    auto same = std::find_if(by_job.begin(), by_job.end(),
                             [&](const auto& entry) { return entry.first == slot->job; });
    if (same == by_job.end()) {
      by_job.emplace_back(slot->job, 1);
    } else {
      ++same->second;
    }
  }
  return by_job;
}

bool SlotPool::idle() const {
  MutexLock lock(&mu_);
  return flags_.empty();
}

void SlotPool::StopRunning() {
  MutexLock lock(&mu_);
  for (auto& slot : slots_) {
    if (slot->running) slot->stop = true;
  }
}

void SlotPool::DropFlag(uint64_t epoch, uint64_t job) {
  auto it = flags_.find({epoch, job});
  if (it != flags_.end() && --it->second.outstanding == 0) {
    flags_.erase(it);
    batch_policy_.Forget(job);  // nothing of it left here (in this epoch)
  }
}

std::deque<SlotPool::Queued>::iterator SlotPool::FirstRunnable() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    const int32_t cap = it->lease.max_running;
    if (cap <= 0) return it;
    // Chunks of the job running, or taken into a batch and about to run.
    const uint64_t job = it->lease.job;
    int64_t running = 0;
    for (const auto& slot : slots_) {
      if (slot->running && slot->job == job) ++running;
      running += std::count_if(slot->batch.begin(), slot->batch.end(), [job](const Queued& b) {
        return !b.handed_back && b.lease.job == job;
      });
    }
    if (running < cap) return it;
  }
  return queue_.end();
}

bool SlotPool::TakeBatch(Slot* self) {
  MutexLock lock(&mu_);
  while (self->batch.empty()) {
    // The first queued lease whose job is under its per-worker cap; the
    // others wait for one of that job's chunks to end.
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || FirstRunnable() != queue_.end();
    };
    mu_.Await(ready);
    if (stopping_) return false;
    const auto first = FirstRunnable();
    Queued item = std::move(*first);
    queue_.erase(first);
    const ChunkKey key{item.lease.job, item.lease.chunk};
    if (auto holder = holders_.find(key); holder != holders_.end()) {
      holder->second->followers.push_back(std::move(item));  // that slot runs or holds it
      continue;
    }
    const size_t size = batch_policy_.Size(item.lease.job, queue_.size(), slots_.size());
    holders_[key] = self;
    self->batch.push_back(std::move(item));
    // More of the same job from the front, none of a chunk another slot
    // holds; capped jobs go one at a time.
    const Queued& head = self->batch.front();
    // Client kernels go one at a time (their chunks are rarely short).
    while (self->batch.size() < size && !queue_.empty() && head.lease.max_running <= 0 &&
           head.lease.kernel == nullptr) {
      const Queued& next = queue_.front();
      const ChunkKey next_key{next.lease.job, next.lease.chunk};
      const bool fits = next.epoch == head.epoch && next.lease.job == head.lease.job &&
                        next.lease.executor == head.lease.executor;
      if (!fits || holders_.contains(next_key)) break;
      holders_[next_key] = self;
      self->batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  return true;
}

bool SlotPool::Admit(Slot* self, const Queued& item, std::vector<Finished>* finished) {
  if (item.handed_back) {
    finished->push_back({item.epoch, HandedBack(item.lease)});
    EmitFollowers(self, item.lease, nullptr, finished);
    DropFlag(item.epoch, item.lease.job);
    return false;
  }
  self->chunks.push_back(item.lease.chunk);
  if (!self->running) {
    self->running = true;
    self->job = item.lease.job;
    self->stop = item.job_stop->load() || stopping_;  // never undo the pool's own stop
  }
  return true;
}

void SlotPool::EmitFollowers(Slot* self, const LeaseSpec& lease, const RunResult* result,
                             std::vector<Finished>* finished) {
  auto mine = [&lease](const Queued& follower) {
    return follower.lease.job == lease.job && follower.lease.chunk == lease.chunk;
  };
  auto keep = std::stable_partition(self->followers.begin(), self->followers.end(),
                                    [&](const Queued& follower) { return !mine(follower); });
  for (auto it = keep; it != self->followers.end(); ++it) {
    DropFlag(it->epoch, it->lease.job);
    // The same chunk's result under the follower's attempt, if it finished.
    RunResult copy = result != nullptr && result->outcome == RunOutcome::kOk
                         ? *result
                         : HandedBack(it->lease);
    copy.attempt = it->lease.attempt;
    finished->push_back({it->epoch, copy});
  }
  self->followers.erase(keep, self->followers.end());
}

void SlotPool::Release(Slot* self, const std::vector<Queued>& ran,
                       const std::vector<RunResult>& results, std::vector<Finished>* finished) {
  MutexLock lock(&mu_);
  self->running = false;
  self->chunks.clear();
  for (size_t i = 0; i < ran.size(); ++i) {
    const RunResult& result = results[i];
    holders_.erase(ChunkKey{ran[i].lease.job, ran[i].lease.chunk});
    if (result.outcome == RunOutcome::kOk) {
      batch_policy_.Observe(ran[i].lease.job, result.end_mono_ns - result.start_mono_ns);
    }
    finished->push_back({ran[i].epoch, result});
    if (!self->followers.empty()) EmitFollowers(self, ran[i].lease, &result, finished);
    DropFlag(ran[i].epoch, ran[i].lease.job);
  }
}

void SlotPool::Count(const RunResult& result) {
  if (result.outcome != RunOutcome::kOk) return;
  const int kind = result.executor == ExecutorKind::kProcesses ? 1 : 0;
  stats_.chunks[kind].fetch_add(1, std::memory_order_relaxed);
  stats_.decrements[kind].fetch_add(result.decrements, std::memory_order_relaxed);
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
  Slot* self = nullptr;
  {
    MutexLock lock(&mu_);
    self = slots_[static_cast<size_t>(slot)].get();
  }
  std::vector<Finished> finished;
  while (TakeBatch(self)) {
    finished.clear();
    bool in_child = false;
    {
      MutexLock lock(&mu_);
      const LeaseSpec& head = self->batch.front().lease;
      // A command's program is the slot's process: it needs no child.
      in_child = head.executor == ExecutorKind::kProcesses && child != nullptr &&
                 (head.kernel == nullptr || head.kernel->kind != KernelKind::kCommand);
    }
    if (in_child) {
      RunInChild(slot, self, child.get(), &finished);
    } else {
      RunThreads(slot, self, &finished);
    }
    if (!finished.empty()) sink_(finished);
  }
}

void SlotPool::RunThreads(int slot, Slot* self, std::vector<Finished>* finished) {
  // Reused for each lease: no allocation per chunk.
  std::vector<Queued> one(1);
  std::vector<RunResult> result(1);
  const RealClock* clock = RealClock::Get();
  const int64_t wall_minus_mono_ns = clock->WallNs() - clock->MonoNs();
  ResultFlush flush(clock);
  // Chunks too short for a CPU clock read of their own share the batch's:
  // one read per batch, so a time-shared slot shows in their CPU time too.
  BatchCpu batch_cpu{ThreadCpuNs(), flush.held_since_ns(), finished->size()};
  for (;;) {
    if (flush.Due(!finished->empty(), result.front().end_mono_ns)) {
      // The batch runs longer than planned: what finished goes now.
      batch_cpu.Apply(finished);
      sink_(*finished);
      finished->clear();
      flush.Sent(result.front().end_mono_ns);
      batch_cpu = BatchCpu{ThreadCpuNs(), clock->MonoNs(), 0};
    }
    {
      MutexLock lock(&mu_);
      if (self->batch.empty()) {
        batch_cpu.Apply(finished);
        return;
      }
      one.front() = std::move(self->batch.front());
      self->batch.pop_front();
      if (!Admit(self, one.front(), finished)) continue;  // handed back while it waited
    }
    RunLease(slot, one.front(), &self->stop, wall_minus_mono_ns, &result.front());
    Count(result.front());
    Release(self, one, result, finished);
  }
}

void SlotPool::RunLease(int slot, const Queued& item, std::atomic<bool>* stop,
                        int64_t wall_minus_mono_ns, RunResult* result) {
  const LeaseSpec& lease = item.lease;
  *result = HandedBack(lease);
  result->slot = slot;
  const uint64_t count = static_cast<uint64_t>(lease.count);
  const RealClock* clock = RealClock::Get();
  result->start_mono_ns = clock->MonoNs();
  result->start_wall_ns = result->start_mono_ns + wall_minus_mono_ns;
  uint64_t done = 0;
  if (stop->load()) {
    // Stopped (or handed back) while queued: nothing ran.
  } else if (lease.kernel != nullptr) {
    return RunClientKernel(lease, stop, result);
  } else if (lease.executor == ExecutorKind::kThreads) {
    // The kernel's time is the chunk's: it spans the reads of the thread's
    // CPU clock, system calls where a CPU shared with another process's
    // thread is most often handed over (a wait that is not tminus's doing).
    const bool measure = count >= kMeasureCpuFrom;
    const int64_t cpu_start = measure ? ThreadCpuNs() : 0;
    done = Countdown(count, stop);
    result->cpu_ns = measure ? ThreadCpuNs() - cpu_start : kCpuFromBatch;
    result->end_mono_ns = clock->MonoNs();
    result->kernel_ns = result->end_mono_ns - result->start_mono_ns;
    return Finish(count, done, result);
  } else {
    result->end_mono_ns = clock->MonoNs();
    result->outcome = RunOutcome::kFailed;
    result->error = "executor not supported by this worker";
    return;
  }
  if (result->end_mono_ns == 0) result->end_mono_ns = clock->MonoNs();
  if (result->cpu_ns < 0) result->cpu_ns = result->end_mono_ns - result->start_mono_ns;
  Finish(count, done, result);
}

namespace {

RunOutcome OutcomeOf(PythonRun::Outcome outcome) {
  switch (outcome) {
    case PythonRun::Outcome::kOk: return RunOutcome::kOk;
    case PythonRun::Outcome::kCancelled: return RunOutcome::kCancelled;
    case PythonRun::Outcome::kFailed: break;
  }
  return RunOutcome::kFailed;
}

RunOutcome OutcomeOf(CommandRun::Outcome outcome) {
  switch (outcome) {
    case CommandRun::Outcome::kOk: return RunOutcome::kOk;
    case CommandRun::Outcome::kCancelled: return RunOutcome::kCancelled;
    case CommandRun::Outcome::kFailed: break;
  }
  return RunOutcome::kFailed;
}

// A client kernel's chunk did all its units or none that count. Its error
// fits the coordinator's limit (a longer one would be refused with the batch).
void FinishClientRun(const LeaseSpec& lease, int64_t wall_minus_mono_ns, RunResult* result) {
  if (result->error.size() > kMaxResultErrorBytes) {
    result->error = Utf8Tail(result->error.substr(0, kMaxResultErrorBytes - 4), kMaxResultErrorBytes - 4) + "...";
  }
  result->start_wall_ns = result->start_mono_ns + wall_minus_mono_ns;
  result->kernel_ns = result->end_mono_ns - result->start_mono_ns;
  result->decrements = result->outcome == RunOutcome::kOk ? lease.count : 0;
}

}  // namespace

void SlotPool::RunClientKernel(const LeaseSpec& lease, std::atomic<bool>* stop, RunResult* result) {
  const RealClock* clock = RealClock::Get();
  const int64_t wall_minus_mono_ns = result->start_wall_ns - result->start_mono_ns;
  if (lease.kernel->kind == KernelKind::kCommand) {
    const CommandRun run = RunCommandChunk(
        lease.kernel->argv,
        ChunkValues{lease.begin, lease.count, lease.chunk, lease.job, lease.attempt}, *stop,
        options_.command);
    result->start_mono_ns = run.start_mono_ns;
    result->end_mono_ns = run.end_mono_ns;
    result->cpu_ns = run.cpu_ns;
    result->outcome = OutcomeOf(run.outcome);
    result->error = run.error;
  } else {
    const PythonRun run = RunPythonChunk(lease.job, *lease.kernel, lease.begin, lease.count, stop);
    result->end_mono_ns = clock->MonoNs();
    result->cpu_ns = run.cpu_ns;
    result->outcome = OutcomeOf(run.outcome);
    result->error = run.error;
  }
  FinishClientRun(lease, wall_minus_mono_ns, result);
}

void SlotPool::RunPythonInChild(const LeaseSpec& lease, ChildProcess* child,
                                std::atomic<bool>* stop, RunResult* result) {
  const RealClock* clock = RealClock::Get();
  const int64_t wall_minus_mono_ns = clock->WallNs() - clock->MonoNs();
  result->start_mono_ns = clock->MonoNs();
  absl::StatusOr<ChildProcess::PythonChunk> chunk =
      stop->load() ? ChildProcess::PythonChunk{}
                   : child->RunPython(lease.job, *lease.kernel, lease.begin, lease.count, *stop,
                                      options_.kill_grace);
  if (stop->load() && chunk.ok() && chunk->run.start_mono_ns == 0) {
    chunk->python.outcome = PythonRun::Outcome::kCancelled;  // never started
  }
  if (!chunk.ok()) {
    result->outcome = RunOutcome::kFailed;
    result->error = std::string(chunk.status().message());
  } else {
    if (chunk->run.start_mono_ns != 0) result->start_mono_ns = chunk->run.start_mono_ns;
    result->cpu_ns = chunk->run.cpu_ns;
    result->outcome = OutcomeOf(chunk->python.outcome);
    result->error = chunk->python.error;
  }
  result->end_mono_ns = chunk.ok() && chunk->run.end_mono_ns != 0 ? chunk->run.end_mono_ns : clock->MonoNs();
  FinishClientRun(lease, wall_minus_mono_ns, result);
}

void SlotPool::Finish(uint64_t count, uint64_t done, RunResult* result) {
  result->decrements = static_cast<int64_t>(done);
  result->outcome = done == count ? RunOutcome::kOk : RunOutcome::kCancelled;
}

void SlotPool::BatchCpu::Apply(std::vector<Finished>* finished) const {
  const int64_t wall_ns = RealClock::Get()->MonoNs() - start_mono_ns;
  const double share =
      wall_ns > 0 ? std::clamp(static_cast<double>(ThreadCpuNs() - start_cpu_ns) / wall_ns, 0.0, 1.0)
                  : 1.0;
  for (size_t i = first; i < finished->size(); ++i) {
    RunResult& r = (*finished)[i].result;
    if (r.cpu_ns != kCpuFromBatch) continue;
    r.cpu_ns = static_cast<int64_t>(static_cast<double>(r.end_mono_ns - r.start_mono_ns) * share);
  }
}

void SlotPool::RunInChild(int slot, Slot* self, ChildProcess* child,
                          std::vector<Finished>* finished) {
  std::vector<Queued> batch;
  {
    MutexLock lock(&mu_);
    for (Queued& item : self->batch) {
      if (Admit(self, item, finished)) batch.push_back(std::move(item));
    }
    self->batch.clear();
  }
  if (batch.empty()) return;
  if (batch.front().lease.kernel != nullptr) {  // a python chunk, alone in its batch
    std::vector<RunResult> results{HandedBack(batch.front().lease)};
    results.front().slot = slot;
    RunPythonInChild(batch.front().lease, child, &self->stop, &results.front());
    Count(results.front());
    return Release(self, batch, results, finished);
  }
  std::vector<uint64_t> counts;
  for (const Queued& item : batch) counts.push_back(static_cast<uint64_t>(item.lease.count));
  const RealClock* clock = RealClock::Get();
  const int64_t start_wall = clock->WallNs();
  const int64_t start_mono = clock->MonoNs();
  std::vector<RunResult> results;
  for (const Queued& item : batch) {
    results.push_back(HandedBack(item.lease));
    results.back().slot = slot;
  }
  absl::StatusOr<std::vector<ChildRun>> runs =
      self->stop.load() ? std::vector<ChildRun>(batch.size())
                        : child->RunBatch(counts, self->stop, options_.kill_grace);
  for (size_t i = 0; i < batch.size(); ++i) {
    RunResult& result = results[i];
    if (!runs.ok()) {
      // Which chunk ran when the child died is unknown: the first takes the
      // failed attempt (so a chunk that keeps killing its child still runs
      // out of attempts), the others are handed back, requeued unblamed.
      if (i == 0) {
        Logger("worker")->warn("job={} chunk={} slot={} {} ({} chunks of its batch handed back)",
                               batch[i].lease.job, batch[i].lease.chunk, slot,
                               runs.status().ToString(), batch.size() - 1);
        result.outcome = RunOutcome::kFailed;
        result.error = std::string(runs.status().message());
      }
      result.start_mono_ns = start_mono;
      result.start_wall_ns = start_wall;
      result.end_mono_ns = clock->MonoNs();
      continue;
    }
    const ChildRun& run = (*runs)[i];
    // The child's clock readings are the machine's monotonic clock.
    result.start_mono_ns = run.start_mono_ns != 0 ? run.start_mono_ns : start_mono;
    result.end_mono_ns = run.end_mono_ns != 0 ? run.end_mono_ns : clock->MonoNs();
    result.start_wall_ns = start_wall + (result.start_mono_ns - start_mono);
    result.cpu_ns = run.cpu_ns;
    result.kernel_ns = run.kernel_ns;
    result.decrements = static_cast<int64_t>(run.done);
    result.outcome = run.done == counts[i] ? RunOutcome::kOk : RunOutcome::kCancelled;
    Count(result);
  }
  Release(self, batch, results, finished);
}

}  // namespace tminus
