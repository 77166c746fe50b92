#include "tests/unit/scheduler_sim.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace tminus::testing {

WorkerHello Sim::HelloOf(const std::string& name, int slots, uint64_t incarnation) {
  WorkerHello hello;
  hello.worker_id = name;
  hello.incarnation = incarnation != 0 ? incarnation : incarnation_++;
  hello.host = "sim";
  hello.slots = slots;
  hello.threads = hello.processes = true;
  return hello;
}

SessionId Sim::AddWorker(const std::string& name, int slots, double speed, int prefetch,
                         bool threads, bool processes) {
  WorkerHello hello = HelloOf(name, slots);
  hello.threads = threads;
  hello.processes = processes;
  return Joined(*scheduler_.OpenSession(hello), hello, speed, prefetch);
}

SessionId Sim::AddLabelledWorker(const std::string& name, int slots, Labels labels,
                                 double speed, int prefetch) {
  WorkerHello hello = HelloOf(name, slots);
  hello.labels = std::move(labels);
  return Joined(*scheduler_.OpenSession(hello), hello, speed, prefetch);
}

SessionId Sim::AddKernelWorker(const std::string& name, int slots, KernelSet kernels) {
  WorkerHello hello = HelloOf(name, slots);
  hello.kernels = kernels;
  return Joined(*scheduler_.OpenSession(hello), hello, 1.0, 1);
}

absl::StatusOr<SessionId> Sim::TryAddWorker(const std::string& name, int slots,
                                            uint64_t incarnation, double speed, int prefetch) {
  const WorkerHello hello = HelloOf(name, slots, incarnation);
  absl::StatusOr<SessionId> id = scheduler_.OpenSession(hello);
  if (!id.ok()) return id;
  return Joined(*id, hello, speed, prefetch);
}

SessionId Sim::Joined(SessionId id, const WorkerHello& hello, double speed, int prefetch) {
  const int slots = hello.slots;
  SimWorker& worker = workers_[id];
  worker.incarnation = hello.incarnation;
  worker.name = hello.worker_id;
  worker.slots = slots;
  worker.speed = speed;
  worker.slot_busy.assign(static_cast<size_t>(slots), false);
  worker.credits_granted = slots + prefetch;
  (void)scheduler_.AddCredits(id, slots + prefetch);
  Pump();
  return id;
}

JobId Sim::Submit(int64_t n, int64_t chunks, int32_t priority, int32_t max_slots,
                  ExecutorKind executor) {
  JobSpec spec;
  spec.n = n;
  spec.chunk_count = chunks;
  spec.priority = priority;
  spec.max_slots = max_slots;
  spec.executor = executor;
  return SubmitSpec(spec);
}

JobId Sim::SubmitSpec(const JobSpec& spec) {
  const JobId id = *scheduler_.Submit(spec, "");
  Pump();
  return id;
}

int64_t Sim::held(SessionId id) const {
  const auto it = held_.find(id);
  return it == held_.end() ? 0 : it->second;
}

void Sim::Pump() {
  std::vector<SessionId> touched;
  std::vector<std::pair<SessionId, LeaseGrant>> handed_back;  // drained: queued leases return
  scheduler_.DrainOutboxes([this, &touched, &handed_back](SessionId id, Outbox outbox) {
    touched.push_back(id);
    SimWorker& worker = workers_[id];
    for (const KernelGrant& grant : outbox.kernels) worker.kernels_seen.push_back(grant.job);
    for (const LeaseGrant& lease : outbox.leases) {
      const bool defined = std::find(worker.kernels_seen.begin(), worker.kernels_seen.end(),
                                     lease.job) != worker.kernels_seen.end();
      if (lease.kernel != KernelKind::kCountdown && !defined) ++worker.leases_without_kernel;
      worker.queued.push_back(lease);
    }
    worker.forgets_seen.insert(worker.forgets_seen.end(), outbox.forget.begin(), outbox.forget.end());
    held_[id] += static_cast<int64_t>(outbox.leases.size());
    worker.max_leases_held = std::max(worker.max_leases_held, held_[id]);
    for (const CancelOrder& order : outbox.cancels) worker.cancels_seen.push_back(order.job);
    if (outbox.drain) {
      ++worker.drains_seen;
      for (const LeaseGrant& lease : worker.queued) handed_back.emplace_back(id, lease);
      worker.queued.clear();
    }
    if (outbox.close) {
      worker.closed = true;
      worker.close_status = outbox.close_status;
    }
  });
  for (SessionId id : touched) StartIdleSlots(id);
  for (const auto& [id, lease] : handed_back) {
    --held_[id];
    Deliver(id, SimResult(lease.job, lease.chunk, lease.attempt, 0, ChunkOutcome::kCancelled));
  }
  if (++pumps_ % check_every_ != 0) return;
  if (absl::Status ok = scheduler_.CheckInvariants(); !ok.ok()) ADD_FAILURE() << ok.ToString();
}

void Sim::StartIdleSlots(SessionId id) {
  SimWorker& worker = workers_[id];
  if (worker.closed) return;
  while (worker.running < worker.slots) {
    // The first queued lease whose job is under its max_running here.
    auto next = std::find_if(worker.queued.begin(), worker.queued.end(), [&](const LeaseGrant& l) {
      return l.max_running <= 0 || worker.running_of[l.job] < l.max_running;
    });
    if (next == worker.queued.end()) break;
    const LeaseGrant lease = *next;
    worker.queued.erase(next);
    ++worker.running_of[lease.job];
    int& running = running_of_[lease.job];
    peak_running_[lease.job] = std::max(peak_running_[lease.job], ++running);
    const auto duration = static_cast<int64_t>(static_cast<double>(lease.count) / worker.speed);
    const auto free_slot = std::find(worker.slot_busy.begin(), worker.slot_busy.end(), false);
    *free_slot = true;
    const auto slot = static_cast<int32_t>(free_slot - worker.slot_busy.begin());
    events_.push(Event{clock_.MonoNs() + std::max<int64_t>(duration, 1), seq_++, id, lease, slot,
                       clock_.MonoNs()});
    ++worker.running;
  }
  // What a worker says of its slots when that changes (Running).
  std::vector<std::pair<JobId, int32_t>> running;
  for (const auto& [job, chunks] : worker.running_of) {
    if (chunks > 0) running.emplace_back(job, chunks);
  }
  (void)scheduler_.SetRunning(id, std::move(running));
}

bool Sim::Step() {
  if (events_.empty()) return false;
  const Event event = events_.top();
  events_.pop();
  clock_.Set(std::max(event.at, clock_.MonoNs()));  // a stall may have passed it
  SimWorker& worker = workers_[event.session];
  --worker.running;
  --worker.running_of[event.lease.job];
  --running_of_[event.lease.job];
  worker.slot_busy[static_cast<size_t>(event.slot)] = false;
  if (worker.closed) return true;  // a dead worker's chunks vanish
  --held_[event.session];
  ChunkReport result;
  result.job = event.lease.job;
  result.chunk = event.lease.chunk;
  result.attempt = event.lease.attempt;
  result.outcome = ChunkOutcome::kOk;
  result.decrements = event.lease.count;
  result.start_mono_ns = event.started;
  result.end_mono_ns = event.at;
  result.cpu_ns = static_cast<int64_t>(static_cast<double>(event.at - event.started) * worker.cpu_share);
  result.slot = event.slot;
  Deliver(event.session, result);
  StartIdleSlots(event.session);
  return true;
}

void Sim::Deliver(SessionId id, const ChunkReport& result) {
  SimWorker& worker = workers_[id];
  ++worker.results_sent;
  (void)scheduler_.OnResults(id, {result});
  (void)scheduler_.AddCredits(id, 1);
  ++worker.credits_granted;
  Pump();
}

ChunkReport SimResult(JobId job, int64_t chunk, int32_t attempt, int64_t decrements,
                      ChunkOutcome outcome) {
  ChunkReport r;
  r.job = job;
  r.chunk = chunk;
  r.attempt = attempt;
  r.decrements = decrements;
  r.outcome = outcome;
  return r;
}

void ExpectExact(const Scheduler& scheduler, JobId id) {
  const absl::StatusOr<JobReport> report = scheduler.GetReport(id);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->job.state, JobState::kSucceeded) << report->job.error;
  EXPECT_EQ(report->job.decrements_done, report->job.spec.n);
  EXPECT_EQ(report->job.chunks_done, report->job.chunk_total);
}

void Sim::Tick() {
  for (auto& [id, worker] : workers_) {
    if (!worker.closed) (void)scheduler_.Touch(id);
  }
  scheduler_.ExpireSilentSessions();
  Pump();
}

bool Sim::StepTicking() {
  if (events_.empty()) return false;
  constexpr int64_t kTickNs = 500'000'000;
  if (next_tick_ns_ == 0) next_tick_ns_ = clock_.MonoNs() + kTickNs;
  if (next_tick_ns_ <= events_.top().at) {
    clock_.Set(next_tick_ns_);
    next_tick_ns_ += kTickNs;
    Tick();
    return true;
  }
  return Step();
}

int64_t Sim::Run(int64_t max_events) {
  int64_t ran = 0;
  while (ran < max_events && Step()) ++ran;
  return ran;
}

}  // namespace tminus::testing
