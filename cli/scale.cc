#include "cli/scale.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/proto_convert.h"
#include "common/status_macros.h"
#include "common/study_series.h"

namespace tminus {
namespace {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// One point to run: its series, size and placement.
struct PointSpec {
  ScalePoint point;
  PointPlan plan;
};

void Place(const PointPlan& plan, v1::JobSpec* spec) {
  spec->set_max_slots(plan.slots);
  spec->set_max_slots_per_worker(plan.per_worker);
  for (const std::string& worker : plan.workers) spec->add_workers(worker);
}

v1::JobSpec SpecFor(const ScaleOptions& options, const PointSpec& p) {
  const int64_t factor = p.point.mode == ScaleMode::kWeak ? p.point.slots : 1;
  v1::JobSpec spec;
  spec.set_n(options.n * factor);
  if (options.chunk_count) spec.set_chunk_count(*options.chunk_count * factor);
  if (options.chunk_size) spec.set_chunk_size(*options.chunk_size);
  spec.set_executor(p.point.executor);
  if (options.kernel != nullptr) ToProto(*options.kernel, spec.mutable_kernel());
  Place(p.plan, &spec);
  spec.set_name(absl::StrCat("scale-", SeriesLabel(p.point), "-", p.point.slots));
  for (char& c : *spec.mutable_name()) c = c == ' ' ? '-' : c;
  (*spec.mutable_labels())[kStudyLabel] = "point";
  return spec;
}

absl::StatusOr<v1::JobReport> RunOne(JobClient& client, const v1::JobSpec& spec) {
  v1::SubmitJobRequest request;
  *request.mutable_spec() = spec;
  absl::StatusOr<v1::Job> job = client.Submit(request);
  if (!job.ok()) return job.status();
  absl::StatusOr<v1::WatchJobResponse> last = client.Watch(job->id(), 1000, [](const auto&) {});
  if (!last.ok()) return last.status();
  absl::StatusOr<v1::JobReport> report = client.Report(job->id());
  if (!report.ok()) return report.status();
  if (report->state() != v1::JOB_STATE_SUCCEEDED || report->decrements() != report->n()) {
    return absl::AbortedError(absl::StrCat("job ", job->id(), " did not finish exactly: ",
                                           StateName(report->state()), " ", report->error()));
  }
  return report;
}

// The bare kernel on `slots` threads at once on the point's workers: one
// chunk per slot, timed inside the kernel on the worker. Returns the
// aggregate rate, decrements per second. A ceiling only if long: each
// thread counts for at least kMinCalibrationS at `thread_rate` (the last
// measure, per thread) and at least a quarter of its share of the point.
absl::StatusOr<double> Calibrate(JobClient& client, const PointSpec& p, int64_t point_n,
                                 double* thread_rate) {
  const auto least = static_cast<int64_t>(*thread_rate * kMinCalibrationS);
  const int64_t per_thread =
      std::clamp<int64_t>(std::max(point_n / p.point.slots / 4, least), 2'000'000, 50'000'000'000);
  v1::JobSpec spec;
  spec.set_n(per_thread * p.point.slots);
  spec.set_chunk_count(p.point.slots);
  spec.set_executor(p.point.executor);
  Place(p.plan, &spec);
  spec.set_name("scale-calibration");
  (*spec.mutable_labels())[kStudyLabel] = "calibration";
  absl::StatusOr<v1::JobReport> report = RunOne(client, spec);
  if (!report.ok()) return report.status();
  if (report->kernel_ns() <= 0) return 0.0;
  // Each thread counted per_thread in its own time t_i: the aggregate rate
  // is about slots x per_thread / mean(t_i) = n x slots / sum(t_i).
  const double rate = static_cast<double>(spec.n()) * p.point.slots / (report->kernel_ns() * 1e-9);
  *thread_rate = rate / p.point.slots;
  return rate;
}

int HostsUsed(const v1::JobReport& report) {
  std::set<std::string> hosts;
  for (const v1::WorkerReport& w : report.workers()) {
    if (w.chunks() > 0) hosts.insert(w.host());
  }
  return static_cast<int>(hosts.size());
}

absl::Status RunPoint(JobClient& client, const ScaleOptions& options, int run, PointSpec& p,
                      double* thread_rate,
                      const std::function<void(const std::string&)>& progress) {
  const v1::JobSpec spec = SpecFor(options, p);
  double before = 0;
  double after = 0;
  if (options.calibrate) {
    absl::StatusOr<double> rate = Calibrate(client, p, spec.n(), thread_rate);
    if (!rate.ok()) return rate.status();
    before = *rate;
  }
  absl::StatusOr<v1::JobReport> report = RunOne(client, spec);
  if (!report.ok()) return report.status();
  if (options.calibrate) {
    absl::StatusOr<double> rate = Calibrate(client, p, spec.n(), thread_rate);
    if (!rate.ok()) return rate.status();
    after = *rate;
  }
  ScalePoint& point = p.point;
  const double wall_s = static_cast<double>(report->wall_ns()) * 1e-9;
  point.n = spec.n();
  point.wall_s.push_back(wall_s);
  point.counting.push_back(wall_s > 0 ? static_cast<double>(report->kernel_ns()) * 1e-9 /
                                            (point.slots * wall_s)
                                      : 0);
  if (options.calibrate) {
    point.calibration.push_back(before);
    point.calibration.push_back(after);
  }
  point.hosts = std::max(point.hosts, HostsUsed(*report));
  point.job_ids.push_back(report->job_id());
  progress(absl::StrFormat("%s at %d slot%s (%d host%s), run %d/%d: %s, counting %s%s",
                           SeriesLabel(point), point.slots, point.slots == 1 ? "" : "s",
                           point.hosts, point.hosts == 1 ? "" : "s", run + 1, options.repeat,
                           FormatDuration(report->wall_ns()),
                           FormatPercent(point.counting.back()),
                           options.calibrate && before + after > 0
                               ? ", vs calibration " +
                                     FormatPercent(spec.n() / wall_s / ((before + after) / 2))
                               : ""));
  return absl::OkStatus();
}

// Speedup, efficiency and the rest, against the series' first point.
void Summarise(std::vector<PointSpec>& series) {
  const ScalePoint& base = series.front().point;
  const double base_s = Median(base.wall_s);
  for (PointSpec& p : series) {
    ScalePoint& point = p.point;
    point.median_s = Median(point.wall_s);
    point.min_s = *std::min_element(point.wall_s.begin(), point.wall_s.end());
    point.max_s = *std::max_element(point.wall_s.begin(), point.wall_s.end());
    const double relative = static_cast<double>(point.slots) / base.slots;
    if (point.mode == ScaleMode::kWeak) {
      point.efficiency = base_s / point.median_s;  // T1 / TN: scaled efficiency
      point.speedup = point.efficiency * relative;
    } else {
      point.speedup = base_s / point.median_s;
      point.efficiency = point.speedup / relative;
      point.karp_flatt = KarpFlatt(point.speedup, relative);
    }
    point.rate = static_cast<double>(point.n) / point.median_s;
    point.counting_fraction = Median(point.counting);
    point.calibrated_rate = Median(point.calibration);
    if (!point.calibration.empty()) {
      point.calibrated_min = *std::min_element(point.calibration.begin(), point.calibration.end());
      point.calibrated_max = *std::max_element(point.calibration.begin(), point.calibration.end());
    }
    point.vs_calibration = point.calibrated_rate > 0 ? point.rate / point.calibrated_rate : 0;
  }
}

absl::Status CheckSizes(const ScaleOptions& options, const ScaleCluster& cluster,
                        const std::vector<int>& slots) {
  for (int s : slots) {
    if (s > cluster.slots()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--slots: ", s, " is more than the ", cluster.slots(), " slots of the ",
          cluster.workers(), " worker(s) the study uses"));
    }
  }
  for (int h : options.hosts) {
    if (h > static_cast<int>(cluster.hosts.size())) {
      return absl::InvalidArgumentError(absl::StrCat("--hosts: ", h, " hosts asked for; the ",
                                                     "workers the study uses are on ",
                                                     cluster.hosts.size()));
    }
  }
  if (options.weak) {
    const int most = std::max(slots.empty() ? 1 : slots.back(), cluster.slots());
    if (options.n > INT64_MAX / most ||
        (options.chunk_count && *options.chunk_count > 1'000'000'000 / most)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--weak: n or --chunks times ", most, " slots is past the job limits"));
    }
  }
  return absl::OkStatus();
}

// Every series of the study, each point planned.
std::vector<std::vector<PointSpec>> PlanSeries(const ScaleOptions& options,
                                               const ScaleCluster& cluster,
                                               const std::vector<int>& slots) {
  std::vector<std::vector<PointSpec>> all;
  std::vector<ScaleMode> modes = {ScaleMode::kStrong};
  if (options.weak) modes.push_back(ScaleMode::kWeak);
  for (v1::Executor executor : options.executors) {
    for (ScaleMode mode : modes) {
      if (options.slot_axis) {
        for (Placement placement : options.placements) {
          std::vector<PointSpec> series;
          for (int s : slots) {
            PointSpec p{ScalePoint{}, PlanSlots(cluster, s, placement)};
            p.point.executor = executor;
            p.point.mode = mode;
            p.point.placement = placement;
            p.point.slots = s;
            p.point.physical_cores = p.plan.physical_cores;
            series.push_back(std::move(p));
          }
          all.push_back(std::move(series));
        }
      }
      if (options.hosts.empty()) continue;
      std::vector<PointSpec> series;
      for (int h : options.hosts) {
        PointSpec p{ScalePoint{}, PlanHosts(cluster, h)};
        p.point.executor = executor;
        p.point.mode = mode;
        p.point.axis = ScaleAxis::kHosts;
        p.point.placement = Placement::kPacked;
        p.point.slots = p.plan.slots;
        p.point.physical_cores = p.plan.physical_cores;
        series.push_back(std::move(p));
      }
      all.push_back(std::move(series));
    }
  }
  return all;
}

}  // namespace

const char* ModeName(ScaleMode mode) { return mode == ScaleMode::kWeak ? "weak" : "strong"; }
const char* AxisName(ScaleAxis axis) { return axis == ScaleAxis::kHosts ? "hosts" : "slots"; }

std::string SeriesLabel(const ScalePoint& point) {
  return StudySeriesName(ExecutorLabel(point.executor), ModeName(point.mode), AxisName(point.axis),
                         PlacementName(point.placement));
}

std::optional<double> KarpFlatt(double speedup, double processors) {
  if (processors <= 1 || speedup <= 0) return std::nullopt;
  return (1 / speedup - 1 / processors) / (1 - 1 / processors);
}

absl::StatusOr<ScaleStudy> RunScaleStudy(JobClient& client, const ScaleOptions& options,
                                         const std::function<void(const std::string&)>& progress) {
  absl::StatusOr<v1::ListWorkersResponse> workers = client.Workers();
  if (!workers.ok()) return workers.status();
  absl::StatusOr<ScaleCluster> cluster = ClusterOf(*workers, options.selector, options.workers);
  if (!cluster.ok()) return cluster.status();
  std::vector<int> slots = options.slots.empty()
                               ? DefaultSlotList(cluster->slots(), cluster->physical_cores())
                               : options.slots;
  std::sort(slots.begin(), slots.end());
  if (slots.front() != 1) slots.insert(slots.begin(), 1);  // the baseline
  RETURN_IF_ERROR(CheckSizes(options, *cluster, slots));

  ScaleStudy study;
  study.n = options.n;
  if (options.kernel != nullptr) {
    v1::JobSpec spec;
    ToProto(*options.kernel, spec.mutable_kernel());
    study.kernel = KernelLabel(spec);
  }
  study.total_slots = cluster->slots();
  study.workers = cluster->workers();
  study.hosts = static_cast<int>(cluster->hosts.size());
  study.physical_cores = cluster->physical_cores();
  study.host_boundaries = cluster->HostBoundaries();
  std::vector<std::vector<PointSpec>> all = PlanSeries(options, *cluster, slots);
  // Sizes the first calibration; each one after is sized by the one before.
  double thread_rate = kFallbackThreadRate;
  for (const v1::WorkerInfo& w : workers->workers()) {
    thread_rate = std::max(thread_rate, w.calibration().decrements_per_second());
  }
  // Repeats go round the whole study, so a noisy moment on a shared machine
  // spreads over all points instead of skewing one.
  for (int r = 0; r < options.repeat; ++r) {
    for (std::vector<PointSpec>& series : all) {
      for (PointSpec& p : series) {
        RETURN_IF_ERROR(RunPoint(client, options, r, p, &thread_rate, progress));
      }
    }
  }
  for (std::vector<PointSpec>& series : all) {
    Summarise(series);
    for (PointSpec& p : series) study.points.push_back(std::move(p.point));
  }
  const ScalePoint& first = study.points.front();
  study.chunks = options.chunk_count ? *options.chunk_count
                                     : (options.n + *options.chunk_size - 1) / *options.chunk_size;
  if (first.slots == 1) study.bare_rate = first.calibrated_rate;
  return study;
}

}  // namespace tminus
