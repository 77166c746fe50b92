#include "coordinator/service/convert.h"

#include "common/proto_convert.h"
#include "coordinator/store/store.h"

namespace tminus {
namespace {

v1::WorkerState WorkerStateToProto(WorkerState state) {
  switch (state) {
    case WorkerState::kConnected: return v1::WORKER_STATE_CONNECTED;
    case WorkerState::kDraining: return v1::WORKER_STATE_DRAINING;
    case WorkerState::kDrained: return v1::WORKER_STATE_DRAINED;
    case WorkerState::kDisconnected: return v1::WORKER_STATE_DISCONNECTED;
  }
  return v1::WORKER_STATE_UNSPECIFIED;
}

void DurationsToProto(const Percentiles& p, v1::DurationStats* out) {
  out->set_count(p.count);
  out->set_min_ns(p.min);
  out->set_p50_ns(p.p50);
  out->set_p90_ns(p.p90);
  out->set_p99_ns(p.p99);
  out->set_max_ns(p.max);
}

void WorkerReportToProto(const WorkerReport& worker, v1::WorkerReport* out) {
  out->set_worker_id(worker.worker_id);
  out->set_host(worker.host);
  out->set_slots(worker.slots);
  out->set_chunks(worker.chunks);
  out->set_decrements(worker.decrements);
  out->set_busy_ns(worker.busy_ns);
  out->set_cpu_ns(worker.cpu_ns);
  out->set_utilisation(worker.utilisation);
  out->set_decrements_per_second(worker.decrements_per_second);
  out->set_cpu_share(worker.cpu_share);
  out->set_reference_decrements_per_second(worker.reference_rate);
  for (const SlotReport& slot : worker.slot_reports) {
    v1::SlotReport* s = out->add_slot_reports();
    s->set_slot(slot.slot);
    s->set_chunks(slot.chunks);
    s->set_decrements(slot.decrements);
    s->set_busy_ns(slot.busy_ns);
    s->set_utilisation(slot.utilisation);
  }
}

// A spec as readers of the job see it: a python kernel's source stays on the
// coordinator (up to 256 KiB a job: a listing of a page of jobs would carry
// megabytes, and an admin's code is not every client's to read).
v1::JobSpec SpecForReaders(const JobSpec& spec) {
  return ToProto(WithoutPythonSource(spec));
}

}  // namespace

void ToProto(const JobView& view, v1::Job* out) {
  out->set_id(view.id);
  *out->mutable_spec() = SpecForReaders(view.spec);
  out->set_state(JobStateToProto(view.state));
  out->set_chunk_total(view.chunk_total);
  out->set_chunks_done(view.chunks_done);
  out->set_decrements_done(view.decrements_done);
  out->set_chunks_running(view.chunks_running);
  out->set_chunks_prefetched(view.chunks_prefetched);
  SetTimestamp(view.submit_wall_ns, out->mutable_submit_time());
  if (view.start_wall_ns != 0) SetTimestamp(view.start_wall_ns, out->mutable_start_time());
  if (view.end_wall_ns != 0) SetTimestamp(view.end_wall_ns, out->mutable_end_time());
  out->set_error(view.error);
  out->set_elapsed_ns(view.elapsed_ns);
  out->set_waiting_reason(view.waiting_reason);
}

void ToProto(const JobReport& report, v1::JobReport* out) {
  out->set_job_id(report.job.id);
  out->set_state(JobStateToProto(report.job.state));
  *out->mutable_spec() = SpecForReaders(report.job.spec);
  out->set_n(report.job.spec.n);
  out->set_decrements(report.job.decrements_done);
  out->set_chunk_total(report.job.chunk_total);
  out->set_chunks_done(report.job.chunks_done);
  out->set_wall_ns(report.wall_ns);
  out->set_submit_to_done_ns(report.submit_to_done_ns);
  out->set_busy_ns(report.busy_ns);
  out->set_cpu_ns(report.cpu_ns);
  out->set_kernel_ns(report.kernel_ns);
  out->set_counting_fraction(report.counting_fraction);
  out->set_slots_used(report.slots_used);
  out->set_parallelism(report.parallelism);
  out->set_occupancy(report.occupancy);
  out->set_cpu_parallelism(report.cpu_parallelism);
  out->set_cpu_share(report.cpu_share);
  if (report.speedup.has_value()) out->set_speedup(*report.speedup);
  if (report.efficiency.has_value()) out->set_efficiency(*report.efficiency);
  out->set_reference_ns(report.reference_ns);
  out->set_speedup_reference(report.speedup_reference);
  for (const std::string& warning : report.warnings) out->add_warnings(warning);
  out->set_overhead_ns(report.overhead_ns);
  out->set_decrements_per_second(report.decrements_per_second);
  DurationsToProto(report.chunk_durations, out->mutable_chunk_durations());
  ToProto(report.counters, out->mutable_counters());
  for (const WorkerReport& worker : report.workers) WorkerReportToProto(worker, out->add_workers());
  out->set_error(report.job.error);
}

void ToProto(const JobProgress& progress, v1::WatchJobResponse* out) {
  ToProto(progress.job, out->mutable_job());
  out->set_decrements_per_second(progress.decrements_per_second);
  out->set_eta_ns(progress.eta_ns);
  out->set_cpu_share(progress.cpu_share);
  for (const std::string& warning : progress.warnings) out->add_warnings(warning);
  for (const WorkerProgress& worker : progress.workers) {
    v1::WorkerProgress* w = out->add_workers();
    w->set_worker_id(worker.worker_id);
    w->set_host(worker.host);
    w->set_slots(worker.slots);
    w->set_chunks_running(worker.chunks_running);
    w->set_chunks_done(worker.chunks_done);
    w->set_decrements_done(worker.decrements_done);
    w->set_chunks_prefetched(worker.chunks_prefetched);
  }
}

void ToProto(const WorkerView& view, v1::WorkerInfo* out) {
  out->set_worker_id(view.worker_id);
  out->set_host(view.host);
  out->set_slots(view.slots);
  if (view.threads) out->add_executors(v1::EXECUTOR_THREADS);
  if (view.processes) out->add_executors(v1::EXECUTOR_PROCESSES);
  for (KernelKind kind : {KernelKind::kPython, KernelKind::kCommand}) {
    if (view.Allows(kind)) out->add_kernels(ToProto(kind));
  }
  out->set_state(WorkerStateToProto(view.state));
  out->set_chunks_running(view.chunks_running);
  out->set_chunks_prefetched(view.chunks_prefetched);
  if (view.calibration.valid()) ToProto(view.calibration, out->mutable_calibration());
  out->set_chunks_done(view.chunks_done);
  out->set_decrements_done(view.decrements_done);
  out->set_busy_ns(view.busy_ns);
  SetTimestamp(view.connected_wall_ns, out->mutable_connected_time());
  SetTimestamp(view.last_seen_wall_ns, out->mutable_last_seen_time());
  out->set_version(view.version);
  out->set_incarnation(view.incarnation);
  out->set_sessions(view.sessions);
  out->set_lease_expiries(view.lease_expiries);
  out->set_drains(view.drains);
  out->set_leases_lost(view.leases_lost);
  out->mutable_labels()->insert(view.labels.begin(), view.labels.end());
  ToProto(view.topology, out->mutable_topology());
  if (view.usage_reported) {
    ToProto(view.usage, out->mutable_usage());
    out->set_cpu_cores(view.cpu_cores);
  }
}

void ToProto(const LeaseGrant& lease, v1::Lease* out) {
  out->set_job_id(lease.job);
  out->set_chunk(lease.chunk);
  out->set_attempt(lease.attempt);
  out->set_begin(lease.begin);
  out->set_count(lease.count);
  out->set_executor(ToProto(lease.executor));
  out->set_max_running(lease.max_running);
  out->set_kernel(ToProto(lease.kernel));
}

WorkerHello FromProto(const v1::Hello& hello) {
  WorkerHello out;
  out.worker_id = hello.worker_id();
  out.incarnation = hello.incarnation();
  out.host = hello.host();
  out.slots = hello.slots();
  for (int executor : hello.executors()) {
    if (executor == v1::EXECUTOR_THREADS) out.threads = true;
    if (executor == v1::EXECUTOR_PROCESSES) out.processes = true;
  }
  for (int kernel : hello.kernels()) {
    KernelKind kind;
    // Kinds this version does not know stay off: it would not send their jobs.
    if (FromProto(static_cast<v1::KernelKind>(kernel), &kind)) out.kernels |= KernelBit(kind);
  }
  out.version = hello.version();
  out.labels.insert(hello.labels().begin(), hello.labels().end());
  out.topology = FromProto(hello.topology());
  if (hello.has_calibration()) out.calibration = FromProto(hello.calibration());
  return out;
}

ChunkReport FromProto(const v1::ChunkResult& result) {
  ChunkReport out;
  out.job = result.job_id();
  out.chunk = result.chunk();
  out.attempt = result.attempt();
  switch (result.outcome()) {
    case v1::CHUNK_OUTCOME_OK: out.outcome = ChunkOutcome::kOk; break;
    case v1::CHUNK_OUTCOME_CANCELLED: out.outcome = ChunkOutcome::kCancelled; break;
    default: out.outcome = ChunkOutcome::kFailed; break;
  }
  out.decrements = result.decrements();
  out.start_mono_ns = result.start_mono_ns();
  out.end_mono_ns = result.end_mono_ns();
  out.start_wall_ns = result.start_wall_ns();
  out.cpu_ns = result.cpu_ns();
  out.kernel_ns = result.kernel_ns();
  out.slot = result.slot();
  out.error = result.outcome() == v1::CHUNK_OUTCOME_UNSPECIFIED ? "result with no outcome"
                                                                : result.error();
  return out;
}

JobState FromProto(v1::JobState state) {
  return JobStateFromProto(state).value_or(JobState::kQueued);
}

}  // namespace tminus
