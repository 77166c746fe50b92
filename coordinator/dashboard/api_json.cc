#include "coordinator/dashboard/api_json.h"

#include <map>
#include <string>
#include <utility>

#include "common/study_series.h"

namespace tminus {
namespace {

double Seconds(int64_t ns) { return static_cast<double>(ns) * 1e-9; }

const char* WorkerStateWord(WorkerState state) {
  switch (state) {
    case WorkerState::kConnected: return "connected";
    case WorkerState::kDraining: return "draining";
    case WorkerState::kDrained: return "drained";
    case WorkerState::kDisconnected: return "disconnected";
  }
  return "unknown";
}

const char* OutcomeWord(EventOutcome outcome) {
  switch (outcome) {
    case EventOutcome::kOk: return "ok";
    case EventOutcome::kDuplicate: return "duplicate";
    case EventOutcome::kFailed: return "failed";
    case EventOutcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

void WriteCounters(JsonWriter& out, const JobCounters& c) {
  out.Key("counters").BeginObject();
  out.Field("retries", c.retries).Field("duplicates", c.duplicates);
  out.Field("failed_attempts", c.failed_attempts).Field("lease_expiries", c.lease_expiries);
  out.Field("backups", c.backups).Field("handed_back", c.handed_back);
  out.EndObject();
}

void WriteWorkerReport(JsonWriter& out, const WorkerReport& w) {
  out.BeginObject();
  out.Field("worker_id", w.worker_id).Field("host", w.host).Field("slots", w.slots);
  out.Field("chunks", w.chunks).Field("decrements", w.decrements);
  out.Field("busy_s", Seconds(w.busy_ns)).Field("utilisation", w.utilisation);
  out.Field("rate", w.decrements_per_second).Field("cpu_share", w.cpu_share);
  out.Field("reference_rate", w.reference_rate);
  out.Key("slot_reports").BeginArray();
  for (const SlotReport& slot : w.slot_reports) {
    out.BeginObject();
    out.Field("slot", slot.slot).Field("chunks", slot.chunks);
    out.Field("busy_s", Seconds(slot.busy_ns)).Field("utilisation", slot.utilisation);
    out.EndObject();
  }
  out.EndArray().EndObject();
}

}  // namespace

const char* JobStateWord(JobState state) { return JobStateName(state); }

void WriteJobView(JsonWriter& out, const JobView& v) {
  out.Field("id", v.id).Field("name", v.spec.name).Field("state", JobStateWord(v.state));
  out.Field("executor", ExecutorName(v.spec.executor)).Field("n", v.spec.n);
  // The kind only: a job's source or command line is not shown on the port.
  out.Field("kernel", KernelName(v.spec.kernel_kind()));
  out.Field("decrements_done", v.decrements_done).Field("chunks_total", v.chunk_total);
  out.Field("chunks_done", v.chunks_done).Field("chunks_running", v.chunks_running);
  out.Field("chunks_prefetched", v.chunks_prefetched);
  out.Field("submitted_at", Seconds(v.submit_wall_ns)).Field("started_at", Seconds(v.start_wall_ns));
  out.Field("ended_at", Seconds(v.end_wall_ns)).Field("elapsed_s", Seconds(v.elapsed_ns));
  out.Field("error", v.error);
  // What the job page shows of how it was placed and bounded.
  out.Field("priority", v.spec.priority).Field("max_slots", v.spec.max_slots);
  out.Field("max_slots_per_worker", v.spec.max_slots_per_worker);
  out.Field("max_attempts", v.spec.max_attempts).Field("time_limit_ms", v.spec.time_limit_ms);
  out.Field("selector", v.spec.selector).Field("workers", v.spec.workers);
  out.Field("labels", v.spec.labels).Field("study", v.spec.labels.count(kStudyLabel) > 0);
  out.Field("waiting_reason", v.waiting_reason);
}

void WriteJob(JsonWriter& out, const JobSummary& job) {
  out.BeginObject();
  WriteJobView(out, job.view);
  out.Field("rate", job.rate).Field("rate_now", job.rate_now).Field("eta_s", Seconds(job.eta_ns));
  out.EndObject();
}

void WriteReport(JsonWriter& out, const JobReport& r) {
  out.BeginObject();
  out.Field("wall_s", Seconds(r.wall_ns)).Field("busy_s", Seconds(r.busy_ns));
  out.Field("cpu_s", Seconds(r.cpu_ns)).Field("slots_used", r.slots_used);
  out.Field("parallelism", r.parallelism).Field("occupancy", r.occupancy);
  out.Field("cpu_parallelism", r.cpu_parallelism).Field("cpu_share", r.cpu_share);
  out.Field("speedup", r.speedup).Field("efficiency", r.efficiency);
  out.Field("speedup_reference", r.speedup_reference).Field("warnings", r.warnings);
  out.Field("counting_fraction", r.counting_fraction);
  out.Field("overhead_s", Seconds(r.overhead_ns)).Field("rate", r.decrements_per_second);
  const Percentiles& d = r.chunk_durations;
  out.Key("chunk_s").BeginObject();
  out.Field("count", d.count).Field("min", Seconds(d.min)).Field("p50", Seconds(d.p50));
  out.Field("p90", Seconds(d.p90)).Field("p99", Seconds(d.p99)).Field("max", Seconds(d.max));
  out.EndObject();
  WriteCounters(out, r.counters);
  out.Key("workers").BeginArray();
  for (const WorkerReport& w : r.workers) WriteWorkerReport(out, w);
  out.EndArray().EndObject();
}

void WriteWorker(JsonWriter& out, const WorkerView& w) {
  out.BeginObject();
  out.Field("worker_id", w.worker_id).Field("host", w.host);
  out.Field("state", WorkerStateWord(w.state)).Field("slots", w.slots);
  out.Field("busy", std::min<int64_t>(w.slots, w.chunks_running));
  out.Field("chunks_prefetched", w.chunks_prefetched);
  if (w.calibration.valid()) {
    out.Key("calibration").BeginObject();
    out.Field("rate", w.calibration.rate).Field("min_rate", w.calibration.min_rate);
    out.Field("max_rate", w.calibration.max_rate).Field("samples", w.calibration.samples);
    out.Field("cpu_share", w.calibration.cpu_share).Field("age_s", Seconds(w.calibration.age_ns));
    out.EndObject();
  }
  out.Key("executors").BeginArray();
  if (w.threads) out.String("threads");
  if (w.processes) out.String("processes");
  out.EndArray();
  out.Key("kernels").BeginArray();  // besides the countdown (--allow-kernels)
  for (KernelKind kind : {KernelKind::kPython, KernelKind::kCommand}) {
    if (w.Allows(kind)) out.String(KernelName(kind));
  }
  out.EndArray();
  out.Field("chunks_done", w.chunks_done).Field("decrements_done", w.decrements_done);
  out.Field("sessions", w.sessions).Field("connected_at", Seconds(w.connected_wall_ns));
  out.Field("last_seen", Seconds(w.last_seen_wall_ns));
  out.Field("busy_s", Seconds(w.busy_ns)).Field("version", w.version);
  out.Field("labels", w.labels);
  const Topology& t = w.topology;
  out.Key("topology").BeginObject();
  out.Field("logical_cpus", t.logical_cpus).Field("physical_cores", t.physical_cores);
  out.Field("sockets", t.sockets).Field("numa_nodes", t.numa_nodes).Field("smt", t.smt);
  out.Field("cpu_model", t.cpu_model).EndObject();
  if (w.usage_reported) {
    out.Key("usage").BeginObject();
    out.Field("cpu_cores", w.cpu_cores).Field("cpu_s", Seconds(w.usage.cpu_ns));
    out.Field("resident_bytes", w.usage.resident_bytes).Field("threads", w.usage.threads);
    out.Field("open_fds", w.usage.open_fds).EndObject();
  }
  out.EndObject();
}

void WriteClusterHistory(JsonWriter& out, const ClusterHistory& history) {
  out.Key("cluster").BeginArray();  // [time s, rate, busy slots, slots]
  for (const ClusterSample& s : history.cluster) {
    out.BeginArray().Double(s.wall_s).Double(s.rate).Int(s.slots_busy).Int(s.slots_total);
    out.EndArray();
  }
  out.EndArray();
}

void WriteUsageSeries(JsonWriter& out, const ClusterHistory& history, const std::string& worker) {
  out.Key("usage_series").BeginArray();  // [time s, cpu cores, resident bytes]
  if (const auto it = history.usage.find(worker); it != history.usage.end()) {
    for (const UsageSample& s : it->second) {
      out.BeginArray().Double(s.wall_s).Double(s.cpu_cores).Int(s.resident_bytes).EndArray();
    }
  }
  out.EndArray();
}

void WriteStream(JsonWriter& out, const DashboardSnapshot& snapshot, const std::string& worker) {
  // Rows: every slot of the workers connected now, and any other slot the
  // last minute's attempts ran on; sorted by worker, then slot.
  std::map<std::pair<std::string, int32_t>, int32_t> rows;
  for (const WorkerView& w : snapshot.workers) {
    if (w.state == WorkerState::kDisconnected || (!worker.empty() && w.worker_id != worker)) continue;
    for (int32_t slot = 0; slot < w.slots; ++slot) rows.emplace(std::make_pair(w.worker_id, slot), 0);
  }
  std::map<JobId, std::string> jobs;
  for (const StreamEvent& e : snapshot.live().stream) {
    if (!worker.empty() && e.worker_id != worker) continue;
    rows.emplace(std::make_pair(e.worker_id, e.slot), 0);
    jobs.emplace(e.job, "");
  }
  for (const auto& summary : snapshot.jobs) {
    if (auto it = jobs.find(summary->view.id); it != jobs.end()) it->second = summary->view.spec.name;
  }
  out.Key("rows").BeginArray();
  int32_t next_row = 0;
  for (auto& [key, row] : rows) {
    row = next_row++;
    out.BeginObject().Field("worker_id", key.first).Field("slot", key.second).EndObject();
  }
  out.EndArray().Key("jobs").BeginArray();
  for (const auto& [id, name] : jobs) out.BeginObject().Field("id", id).Field("name", name).EndObject();
  out.EndArray().Key("events").BeginArray();  // [row, job, chunk, start s, end s, outcome]
  for (const StreamEvent& e : snapshot.live().stream) {
    if (!worker.empty() && e.worker_id != worker) continue;
    out.BeginArray().Int(rows.at({e.worker_id, e.slot})).Int(static_cast<int64_t>(e.job));
    out.Int(e.chunk).Double(Seconds(e.end_wall_ns - e.duration_ns)).Double(Seconds(e.end_wall_ns));
    out.String(OutcomeWord(e.outcome)).EndArray();
  }
  out.EndArray();
}

void WriteTimeline(JsonWriter& out, JobId id, const JobTimeline& t) {
  out.BeginObject();
  out.Field("job_id", id).Field("started_at", Seconds(t.start_wall_ns));
  out.Key("rows").BeginArray();
  for (const TimelineRow& row : t.rows) {
    out.BeginObject().Field("worker_id", row.worker_id).Field("slot", row.slot).EndObject();
  }
  out.EndArray().Key("events").BeginArray();
  for (const TimelineEvent& e : t.events) {
    out.BeginObject();
    out.Field("row", e.row).Field("chunk", e.chunk).Field("attempt", e.attempt);
    out.Field("start_s", Seconds(e.start_ns)).Field("end_s", Seconds(e.end_ns));
    out.Field("outcome", OutcomeWord(e.outcome));
    out.EndObject();
  }
  out.EndArray().Field("truncated", t.truncated).EndObject();
}

void WriteStudy(JsonWriter& out, const StudyRecord& s) {
  out.BeginObject();
  out.Field("id", s.id).Field("name", s.name).Field("created_at", Seconds(s.created_wall_ns));
  out.Field("n", s.n).Field("chunks", s.chunks).Field("repeat", s.repeat);
  out.Field("bare_rate", s.bare_rate).Field("physical_cores", s.physical_cores);
  out.Key("host_boundaries").BeginArray();
  for (int32_t boundary : s.host_boundaries) out.Int(boundary);
  out.EndArray();
  out.Key("points").BeginArray();
  for (const StudyPoint& p : s.points) {
    out.BeginObject();
    out.Field("series", StudySeriesName(p.executor, p.mode, p.axis, p.placement));
    out.Field("executor", p.executor).Field("slots", p.slots);
    out.Field("wall_s", Seconds(p.wall_ns)).Field("wall_min_s", Seconds(p.wall_min_ns));
    out.Field("wall_max_s", Seconds(p.wall_max_ns)).Field("speedup", p.speedup);
    out.Field("efficiency", p.efficiency).Field("karp_flatt", p.karp_flatt);
    out.Field("calibrated_min", p.calibrated_min).Field("calibrated_max", p.calibrated_max);
    out.Field("rate", p.rate).Field("counting_fraction", p.counting_fraction);
    out.Field("calibrated_rate", p.calibrated_rate).Field("vs_calibration", p.vs_calibration);
    out.Field("mode", p.mode.empty() ? "strong" : p.mode);
    out.Field("axis", p.axis.empty() ? "slots" : p.axis);
    out.Field("placement", p.placement.empty() ? "any" : p.placement);
    out.Field("hosts", p.hosts).Field("n", p.n);
    // The `!` of tminus scale's table (common/study_series.h).
    out.Field("doubtful", StudyPointDoubtful(p.wall_ns / 1e9, p.wall_min_ns / 1e9,
                                             p.wall_max_ns / 1e9, p.efficiency, p.karp_flatt,
                                             p.vs_calibration));
    out.Field("above_ceiling", StudyPointAboveCeiling(p.vs_calibration));
    out.EndObject();
  }
  out.EndArray().EndObject();
}

}  // namespace tminus
