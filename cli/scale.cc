#include "cli/scale.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/output.h"

namespace tminus {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

v1::JobSpec SpecFor(const ScaleOptions& options, v1::Executor executor, int slots) {
  v1::JobSpec spec;
  spec.set_n(options.n);
  if (options.chunk_count) spec.set_chunk_count(*options.chunk_count);
  if (options.chunk_size) spec.set_chunk_size(*options.chunk_size);
  spec.set_executor(executor);
  spec.set_max_slots(slots);
  spec.set_name(absl::StrCat("scale-", ExecutorLabel(executor), "-", slots));
  return spec;
}

absl::StatusOr<v1::JobReport> RunOne(JobClient& client, const v1::JobSpec& spec);

absl::StatusOr<double> CalibrateOnce(JobClient& client, int64_t n) {
  const int64_t count = std::clamp<int64_t>(n / 16, 100'000'000, 1'000'000'000);
  v1::JobSpec spec;
  spec.set_n(count);
  spec.set_chunk_count(1);
  spec.set_executor(v1::EXECUTOR_THREADS);
  spec.set_max_slots(1);
  spec.set_name("scale-calibration");
  absl::StatusOr<v1::JobReport> report = RunOne(client, spec);
  if (!report.ok()) return report.status();
  return static_cast<double>(count) / (static_cast<double>(report->busy_ns()) * 1e-9);
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

// One chunk on one slot with the threads executor: the chunk's busy time is
// measured on the worker around the bare kernel. Best of three, as a shared
// machine only ever makes a run slower.
absl::StatusOr<double> CalibrateBareRate(JobClient& client, int64_t n) {
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<double> rate = CalibrateOnce(client, n);
    if (!rate.ok()) return rate.status();
    best = std::max(best, *rate);
  }
  return best;
}

void Summarise(ScalePoint& point, double base_s, double bare_rate, int64_t n) {
  point.median_s = Median(point.wall_s);
  point.min_s = *std::min_element(point.wall_s.begin(), point.wall_s.end());
  point.max_s = *std::max_element(point.wall_s.begin(), point.wall_s.end());
  point.speedup = base_s / point.median_s;
  point.efficiency = point.speedup / point.slots;
  point.karp_flatt = KarpFlatt(point.speedup, point.slots);
  point.rate = static_cast<double>(n) / point.median_s;
  point.ceiling_efficiency = bare_rate > 0 ? point.rate / (point.slots * bare_rate) : 0;
}

}  // namespace

std::vector<int> DefaultSlotList(int total) {
  std::vector<int> slots;
  for (int s = 1; s < total; s *= 2) slots.push_back(s);
  slots.push_back(std::max(total, 1));
  return slots;
}

double KarpFlatt(double speedup, int slots) {
  if (slots <= 1 || speedup <= 0) return 0;
  const double p = slots;
  return (1 / speedup - 1 / p) / (1 - 1 / p);
}

absl::StatusOr<ScaleStudy> RunScaleStudy(JobClient& client, const ScaleOptions& options,
                                         const std::function<void(const std::string&)>& progress) {
  absl::StatusOr<v1::ListWorkersResponse> workers = client.Workers();
  if (!workers.ok()) return workers.status();
  ScaleStudy study;
  study.n = options.n;
  for (const v1::WorkerInfo& w : workers->workers()) {
    if (w.state() != v1::WORKER_STATE_CONNECTED) continue;
    study.total_slots += w.slots();
    ++study.workers;
  }
  if (study.workers == 0) {
    return absl::FailedPreconditionError("no worker is connected to the coordinator");
  }
  std::vector<int> slot_list = options.slots.empty() ? DefaultSlotList(study.total_slots)
                                                     : options.slots;
  std::sort(slot_list.begin(), slot_list.end());
  slot_list.erase(std::unique(slot_list.begin(), slot_list.end()), slot_list.end());
  if (slot_list.front() != 1) slot_list.insert(slot_list.begin(), 1);  // the baseline

  progress("calibrating: the bare kernel on one worker thread");
  absl::StatusOr<double> bare = CalibrateBareRate(client, options.n);
  if (!bare.ok()) return bare.status();
  study.bare_rate = *bare;
  for (v1::Executor executor : options.executors) {
    std::vector<ScalePoint> points(slot_list.size());
    // Repeats go round the whole slot list, so a noisy moment on a shared
    // machine spreads over all points instead of skewing one.
    for (int r = 0; r < options.repeat; ++r) {
      for (size_t i = 0; i < slot_list.size(); ++i) {
        const int slots = slot_list[i];
        absl::StatusOr<v1::JobReport> report = RunOne(client, SpecFor(options, executor, slots));
        if (!report.ok()) return report.status();
        study.chunks = report->chunk_total();
        points[i].executor = executor;
        points[i].slots = slots;
        points[i].wall_s.push_back(static_cast<double>(report->wall_ns()) * 1e-9);
        points[i].job_ids.push_back(report->job_id());
        progress(absl::StrFormat("%s at %d slot%s, run %d/%d: %s", ExecutorLabel(executor), slots,
                                 slots == 1 ? "" : "s", r + 1, options.repeat,
                                 FormatDuration(report->wall_ns())));
      }
    }
    const double base_s = Median(points[0].wall_s);  // slot_list starts with 1
    for (ScalePoint& point : points) {
      Summarise(point, base_s, study.bare_rate, study.n);
      study.points.push_back(std::move(point));
    }
  }
  return study;
}

void PrintScaleTable(const ScaleStudy& study, std::ostream& out) {
  out << absl::StrFormat("n=%d in %d chunks; %d worker(s), %d slots; bare kernel %s decrements/s "
                         "per thread\n",
                         study.n, study.chunks, study.workers, study.total_slots,
                         FormatSi(study.bare_rate));
  Table table({"EXECUTOR", "SLOTS", "WALL(MEDIAN)", "MIN", "MAX", "SPEEDUP", "EFFICIENCY",
               "KARP-FLATT", "RATE/s", "VS-CEILING"});
  for (const ScalePoint& p : study.points) {
    table.AddRow({ExecutorLabel(p.executor), absl::StrCat(p.slots),
                  FormatDuration(static_cast<int64_t>(p.median_s * 1e9)),
                  FormatDuration(static_cast<int64_t>(p.min_s * 1e9)),
                  FormatDuration(static_cast<int64_t>(p.max_s * 1e9)), FormatRatio(p.speedup),
                  FormatPercent(p.efficiency),
                  p.slots > 1 ? absl::StrFormat("%.3f", p.karp_flatt) : "-", FormatSi(p.rate),
                  FormatPercent(p.ceiling_efficiency)});
  }
  table.PrintAligned(out);
}

std::string ScaleCsv(const ScaleStudy& study) {
  std::string csv =
      "executor,slots,runs,wall_median_s,wall_min_s,wall_max_s,speedup,efficiency,karp_flatt,"
      "decrements_per_second,bare_rate_per_thread,ceiling_efficiency,n,chunks\n";
  for (const ScalePoint& p : study.points) {
    absl::StrAppendFormat(&csv, "%s,%d,%d,%.6f,%.6f,%.6f,%.4f,%.4f,%.4f,%.0f,%.0f,%.4f,%d,%d\n",
                          ExecutorLabel(p.executor), p.slots, p.wall_s.size(), p.median_s,
                          p.min_s, p.max_s, p.speedup, p.efficiency, p.karp_flatt, p.rate,
                          study.bare_rate, p.ceiling_efficiency, study.n, study.chunks);
  }
  return csv;
}

std::string ScaleJson(const ScaleStudy& study) {
  std::string json = absl::StrFormat(
      "{\n  \"n\": %d,\n  \"chunks\": %d,\n  \"workers\": %d,\n  \"total_slots\": %d,\n"
      "  \"bare_rate_per_thread\": %.0f,\n  \"points\": [",
      study.n, study.chunks, study.workers, study.total_slots, study.bare_rate);
  for (size_t i = 0; i < study.points.size(); ++i) {
    const ScalePoint& p = study.points[i];
    std::string walls;
    for (double w : p.wall_s) absl::StrAppendFormat(&walls, "%s%.6f", walls.empty() ? "" : ", ", w);
    absl::StrAppendFormat(
        &json,
        "%s\n    {\"executor\": \"%s\", \"slots\": %d, \"wall_s\": [%s], \"wall_median_s\": %.6f, "
        "\"wall_min_s\": %.6f, \"wall_max_s\": %.6f, \"speedup\": %.4f, \"efficiency\": %.4f, "
        "\"karp_flatt\": %.4f, \"decrements_per_second\": %.0f, \"ceiling_efficiency\": %.4f}",
        i == 0 ? "" : ",", ExecutorLabel(p.executor), p.slots, walls, p.median_s, p.min_s,
        p.max_s, p.speedup, p.efficiency, p.karp_flatt, p.rate, p.ceiling_efficiency);
  }
  json += "\n  ]\n}\n";
  return json;
}

v1::Study StudyProto(const ScaleStudy& study, int repeat, const std::string& name) {
  v1::Study out;
  out.set_name(name);
  out.set_n(study.n);
  out.set_chunk_count(study.chunks);
  out.set_repeat(repeat);
  out.set_bare_decrements_per_second(study.bare_rate);
  for (const ScalePoint& point : study.points) {
    v1::StudyPoint* p = out.add_points();
    p->set_executor(point.executor);
    p->set_slots(point.slots);
    p->set_wall_ns(static_cast<int64_t>(point.median_s * 1e9));
    p->set_wall_min_ns(static_cast<int64_t>(point.min_s * 1e9));
    p->set_wall_max_ns(static_cast<int64_t>(point.max_s * 1e9));
    p->set_speedup(point.speedup);
    p->set_efficiency(point.efficiency);
    p->set_karp_flatt(point.karp_flatt);
    p->set_decrements_per_second(point.rate);
  }
  return out;
}

}  // namespace tminus
