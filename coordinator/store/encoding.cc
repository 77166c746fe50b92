// JobSnapshot <-> tminus.v1.SavedJob bytes.
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/proto_convert.h"
#include "coordinator/store/store.h"
#include "tminus/v1/state.pb.h"

namespace tminus {
namespace {

// Records written by 0.1 kept the counters as six fields of SavedJob.
v1::JobCounters LegacyCounters(const v1::SavedJob& p) {
  v1::JobCounters counters;
  counters.set_retries(p.legacy_retries());
  counters.set_duplicates(p.legacy_duplicates());
  counters.set_failed_attempts(p.legacy_failed_attempts());
  counters.set_lease_expiries(p.legacy_lease_expiries());
  counters.set_backups(p.legacy_backups());
  counters.set_handed_back(p.legacy_handed_back());
  return counters;
}

// Schema 1's numbers: the enum's positions, as versions up to 0.3 wrote them.
std::optional<JobState> Schema1State(int32_t number) {
  switch (number) {
    case 0: return JobState::kQueued;
    case 1: return JobState::kRunning;
    case 2: return JobState::kSucceeded;
    case 3: return JobState::kFailed;
    case 4: return JobState::kCancelled;
    default: return std::nullopt;
  }
}

}  // namespace

static_assert(v1::JOB_STATE_QUEUED == 1 && v1::JOB_STATE_RUNNING == 2 &&
                  v1::JOB_STATE_SUCCEEDED == 3 && v1::JOB_STATE_FAILED == 4 &&
                  v1::JOB_STATE_CANCELLED == 5,
              "saved jobs keep these numbers: jobs.proto must not change them");

v1::JobState JobStateToProto(JobState state) {
  switch (state) {
    case JobState::kQueued: return v1::JOB_STATE_QUEUED;
    case JobState::kRunning: return v1::JOB_STATE_RUNNING;
    case JobState::kSucceeded: return v1::JOB_STATE_SUCCEEDED;
    case JobState::kFailed: return v1::JOB_STATE_FAILED;
    case JobState::kCancelled: return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

std::optional<JobState> JobStateFromProto(int32_t number) {
  switch (number) {
    case v1::JOB_STATE_QUEUED: return JobState::kQueued;
    case v1::JOB_STATE_RUNNING: return JobState::kRunning;
    case v1::JOB_STATE_SUCCEEDED: return JobState::kSucceeded;
    case v1::JOB_STATE_FAILED: return JobState::kFailed;
    case v1::JOB_STATE_CANCELLED: return JobState::kCancelled;
    default: return std::nullopt;
  }
}

std::string EncodeJob(const JobSnapshot& s) {
  v1::SavedJob p;
  p.set_id(s.id);
  p.set_request_id(s.request_id);
  // A python source (up to 256 KiB) is written once, in its own table
  // (sqlite_store.cc), not with each of the job's many saves.
  *p.mutable_spec() = ToProto(WithoutPythonSource(s.spec));
  p.set_state(JobStateToProto(s.state));
  p.set_error(s.error);
  p.set_submit_wall_ns(s.submit_wall_ns);
  p.set_start_wall_ns(s.start_wall_ns);
  p.set_end_wall_ns(s.end_wall_ns);
  p.set_elapsed_ns(s.elapsed_ns);
  p.set_submit_to_done_ns(s.submit_to_done_ns);
  p.set_decrements_done(s.decrements_done);
  p.set_completion_base(s.completion_base);
  p.mutable_completion_words()->Add(s.completion_words.begin(), s.completion_words.end());
  p.set_completion_size(s.completion_size);
  p.set_busy_ns(s.busy_ns);
  p.set_cpu_ns(s.cpu_ns);
  p.set_kernel_ns(s.kernel_ns);
  for (const auto& [bucket, count] : s.histogram) {
    p.add_histogram_buckets(bucket);
    p.add_histogram_counts(count);
  }
  p.set_histogram_count(s.histogram_count);
  p.set_histogram_min(s.histogram_min);
  p.set_histogram_max(s.histogram_max);
  ToProto(s.counters, p.mutable_counters());
  for (const JobSnapshot::Worker& w : s.workers) {
    v1::SavedJob::Worker* out = p.add_workers();
    out->set_worker_id(w.worker_id);
    out->set_host(w.host);
    out->set_slots(w.slots);
    out->set_chunks(w.chunks);
    out->set_decrements(w.decrements);
    out->set_busy_ns(w.busy_ns);
    out->set_cpu_ns(w.cpu_ns);
    out->set_reference_ns(w.reference_ns);
    out->set_unreferenced_decrements(w.unreferenced_decrements);
    out->mutable_slot_chunks()->Add(w.slot_chunks.begin(), w.slot_chunks.end());
    out->mutable_slot_decrements()->Add(w.slot_decrements.begin(), w.slot_decrements.end());
    out->mutable_slot_busy_ns()->Add(w.slot_busy_ns.begin(), w.slot_busy_ns.end());
  }
  return p.SerializeAsString();
}

absl::StatusOr<JobSnapshot> DecodeJob(const std::string& bytes, int schema) {
  v1::SavedJob p;
  if (!p.ParseFromString(bytes)) return absl::DataLossError("job record does not parse");
  const std::optional<JobState> state =
      schema == 1 ? Schema1State(p.state()) : JobStateFromProto(p.state());
  if (!state) {
    return absl::DataLossError(absl::StrCat("job record ", p.id(), " has an unknown state number ",
                                            p.state(), " (state file schema ", schema, ")"));
  }
  if (p.histogram_buckets_size() != p.histogram_counts_size()) {
    return absl::DataLossError(absl::StrCat("job record ", p.id(), " has impossible values"));
  }
  JobSnapshot s;
  s.id = p.id();
  s.request_id = p.request_id();
  s.spec = FromProto(p.spec());
  s.state = *state;
  s.error = p.error();
  s.submit_wall_ns = p.submit_wall_ns();
  s.start_wall_ns = p.start_wall_ns();
  s.end_wall_ns = p.end_wall_ns();
  s.elapsed_ns = p.elapsed_ns();
  s.submit_to_done_ns = p.submit_to_done_ns();
  s.decrements_done = p.decrements_done();
  s.completion_base = p.completion_base();
  s.completion_words.assign(p.completion_words().begin(), p.completion_words().end());
  s.completion_size = p.completion_size();
  s.busy_ns = p.busy_ns();
  s.cpu_ns = p.cpu_ns();
  s.kernel_ns = p.kernel_ns();
  for (int i = 0; i < p.histogram_buckets_size(); ++i) {
    s.histogram.emplace_back(p.histogram_buckets(i), p.histogram_counts(i));
  }
  s.histogram_count = p.histogram_count();
  s.histogram_min = p.histogram_min();
  s.histogram_max = p.histogram_max();
  s.counters = FromProto(p.has_counters() ? p.counters() : LegacyCounters(p));
  for (const auto& w : p.workers()) {
    JobSnapshot::Worker out;
    out.worker_id = w.worker_id();
    out.host = w.host();
    out.slots = w.slots();
    out.chunks = w.chunks();
    out.decrements = w.decrements();
    out.busy_ns = w.busy_ns();
    out.cpu_ns = w.cpu_ns();
    out.reference_ns = w.reference_ns();
    out.unreferenced_decrements = w.unreferenced_decrements();
    out.slot_chunks.assign(w.slot_chunks().begin(), w.slot_chunks().end());
    out.slot_decrements.assign(w.slot_decrements().begin(), w.slot_decrements().end());
    out.slot_busy_ns.assign(w.slot_busy_ns().begin(), w.slot_busy_ns().end());
    s.workers.push_back(std::move(out));
  }
  return s;
}

}  // namespace tminus

namespace tminus {

v1::Study ToProto(const StudyRecord& s) {
  v1::Study p;
  p.set_id(s.id);
  p.set_name(s.name);
  SetTimestamp(s.created_wall_ns, p.mutable_created_time());
  p.set_n(s.n);
  p.set_chunk_count(s.chunks);
  p.set_repeat(s.repeat);
  p.set_bare_decrements_per_second(s.bare_rate);
  for (const StudyPoint& point : s.points) {
    v1::StudyPoint* out = p.add_points();
    ExecutorKind kind = ExecutorKind::kUnspecified;
    (void)ParseExecutor(point.executor, "executor", &kind);
    out->set_executor(ToProto(kind));
    out->set_slots(point.slots);
    out->set_wall_ns(point.wall_ns);
    out->set_wall_min_ns(point.wall_min_ns);
    out->set_wall_max_ns(point.wall_max_ns);
    out->set_speedup(point.speedup);
    out->set_efficiency(point.efficiency);
    if (point.karp_flatt) out->set_karp_flatt(*point.karp_flatt);
    out->set_calibrated_min_decrements_per_second(point.calibrated_min);
    out->set_calibrated_max_decrements_per_second(point.calibrated_max);
    out->set_decrements_per_second(point.rate);
    out->set_counting_fraction(point.counting_fraction);
    out->set_calibrated_decrements_per_second(point.calibrated_rate);
    out->set_vs_calibration(point.vs_calibration);
    out->set_mode(point.mode);
    out->set_axis(point.axis);
    out->set_placement(point.placement);
    out->set_hosts(point.hosts);
    out->set_n(point.n);
  }
  p.set_physical_cores(s.physical_cores);
  for (int32_t boundary : s.host_boundaries) p.add_host_boundaries(boundary);
  return p;
}

StudyRecord FromProto(const v1::Study& p) {
  StudyRecord s;
  s.id = p.id();
  s.name = p.name();
  s.created_wall_ns = TimestampNs(p.created_time());
  s.n = p.n();
  s.chunks = p.chunk_count();
  s.repeat = p.repeat();
  s.bare_rate = p.bare_decrements_per_second();
  for (const v1::StudyPoint& point : p.points()) {
    StudyPoint out;
    out.executor = ExecutorName(FromProto(point.executor()));
    out.slots = point.slots();
    out.wall_ns = point.wall_ns();
    out.wall_min_ns = point.wall_min_ns();
    out.wall_max_ns = point.wall_max_ns();
    out.speedup = point.speedup();
    out.efficiency = point.efficiency();
    if (point.has_karp_flatt()) out.karp_flatt = point.karp_flatt();
    out.calibrated_min = point.calibrated_min_decrements_per_second();
    out.calibrated_max = point.calibrated_max_decrements_per_second();
    out.rate = point.decrements_per_second();
    out.counting_fraction = point.counting_fraction();
    out.calibrated_rate = point.calibrated_decrements_per_second();
    out.vs_calibration = point.vs_calibration();
    out.mode = point.mode();
    out.axis = point.axis();
    out.placement = point.placement();
    out.hosts = point.hosts();
    out.n = point.n();
    s.points.push_back(std::move(out));
  }
  s.physical_cores = p.physical_cores();
  s.host_boundaries.assign(p.host_boundaries().begin(), p.host_boundaries().end());
  return s;
}

}  // namespace tminus
