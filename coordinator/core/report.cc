// The timing report of one job: its sums, the figures computed from them
// (coordinator/core/figures.h) and what its speedup is measured against.
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "coordinator/core/figures.h"
#include "coordinator/core/scheduler.h"

namespace tminus {
namespace {

double Ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

std::string Rate(double rate) { return absl::StrFormat("%.3g G/s", rate / 1e9); }

}  // namespace

WorkerReport Scheduler::WorkerReportOf(const WorkerTotals& totals, int64_t wall_ns) const {
  WorkerReport report;
  static_cast<WorkerIdentityView&>(report) = totals.who;
  report.chunks = totals.chunks;
  report.decrements = totals.decrements;
  report.busy_ns = totals.busy_ns;
  report.cpu_ns = totals.cpu_ns;
  report.utilisation = Ratio(totals.busy_ns, static_cast<double>(totals.who.slots) * wall_ns);
  report.decrements_per_second = Ratio(totals.decrements * 1e9, totals.busy_ns);
  report.cpu_share = Ratio(totals.cpu_ns, totals.busy_ns);
  report.reference_rate = Ratio(
      static_cast<double>(totals.decrements - totals.unreferenced_decrements) * 1e9,
      static_cast<double>(totals.reference_ns));
  for (size_t slot = 0; slot < totals.slots.size(); ++slot) {
    const SlotTotals& slot_totals = totals.slots[slot];
    if (slot_totals.chunks == 0) continue;
    report.slot_reports.push_back(SlotReport{static_cast<int32_t>(slot), slot_totals.chunks,
                                             slot_totals.decrements, slot_totals.busy_ns,
                                             Ratio(slot_totals.busy_ns, wall_ns)});
  }
  return report;
}

// Says where the speedup comes from (or why there is none), and warns of a
// reference measured on a shared CPU.
void Scheduler::DescribeReference(const Job& job, JobReport* report) const {
  std::vector<std::string> uncalibrated;
  std::vector<std::string> details;
  double low = 0, high = 0;
  for (const auto& [worker, totals] : job.stats().workers()) {
    if (totals.unreferenced_decrements > 0) uncalibrated.push_back(totals.who.worker_id);
    const auto record = workers_.find(worker);
    if (record == workers_.end() || !record->second.calibration.valid()) continue;
    const Calibration& c = record->second.calibration;
    low = low == 0 ? c.min_rate : std::min(low, c.min_rate);
    high = std::max(high, c.max_rate);
    const int64_t age_s = (clock_->MonoNs() - record->second.calibrated_mono_ns) / 1'000'000'000;
    details.push_back(absl::StrFormat("%s: best of %d, %s old", totals.who.worker_id, c.samples,
                                      age_s >= 120 ? absl::StrCat(age_s / 60, " min")
                                                   : absl::StrCat(age_s, " s")));
    if (c.cpu_share < kLowCpuShare) {
      report->warnings.push_back(absl::StrFormat(
          "worker %s measured its one-slot rate with %.0f%% of a CPU: its reference may be low "
          "and the speedup high",
          totals.who.worker_id, c.cpu_share * 100));
    }
  }
  if (job.spec().kernel_kind() != KernelKind::kCountdown) {
    report->speedup_reference = absl::StrCat(
        "none: no calibration for the ", KernelName(job.spec().kernel_kind()),
        " kernel (workers measure the countdown only); `tminus scale` measures its speedup "
        "against its own one-slot run");
    return;
  }
  if (!uncalibrated.empty()) {
    report->speedup_reference = absl::StrCat(
        "none: no calibration of the bare kernel from worker(s) ",
        absl::StrJoin(uncalibrated, ", "), " when they ran chunks (workers measure it while idle)");
    return;
  }
  if (!report->speedup.has_value()) {
    report->speedup_reference = "none: nothing done yet";
    return;
  }
  const double rate = Ratio(static_cast<double>(report->job.decrements_done) * 1e9,
                            static_cast<double>(report->reference_ns));
  report->speedup_reference = absl::StrCat(
      "the bare kernel's one-slot rate, measured by ", job.stats().workers().size(),
      " worker(s) while idle: ", Rate(rate));
  if (high > 0) {
    absl::StrAppend(&report->speedup_reference, absl::StrFormat(" (samples %s to %s; ", Rate(low), Rate(high)),
                    absl::StrJoin(details, "; "), ")");
  }
}

JobReport Scheduler::ReportOf(const Job& job) const {
  JobReport report;
  report.job = ViewOf(job);
  const JobStats& stats = job.stats();
  report.wall_ns = report.job.elapsed_ns;
  if (job.terminal()) report.submit_to_done_ns = job.end_mono_ns() - job.submit_mono_ns();
  report.busy_ns = stats.busy_ns();
  report.cpu_ns = stats.cpu_ns();
  report.kernel_ns = stats.kernel_ns();
  FigureSums sums;
  int64_t slots = 0;
  for (const auto& [worker, totals] : stats.workers()) {
    slots += totals.who.slots;
    sums.reference_ns += totals.reference_ns;
    sums.unreferenced_decrements += totals.unreferenced_decrements;
    report.workers.push_back(WorkerReportOf(totals, report.wall_ns));
  }
  if (job.spec().max_slots > 0) slots = std::min<int64_t>(slots, job.spec().max_slots);
  report.slots_used = static_cast<int32_t>(slots);
  sums.wall_ns = report.wall_ns;
  sums.busy_ns = report.busy_ns;
  sums.cpu_ns = report.cpu_ns;
  sums.kernel_ns = report.kernel_ns;
  sums.slots = report.slots_used;
  sums.decrements = report.job.decrements_done;
  Figures figures = ComputeFigures(sums);
  report.parallelism = figures.parallelism;
  report.occupancy = figures.occupancy;
  report.counting_fraction = figures.counting_fraction;
  report.cpu_parallelism = figures.cpu_parallelism;
  report.cpu_share = figures.cpu_share;
  report.speedup = figures.speedup;
  report.efficiency = figures.efficiency;
  report.reference_ns = sums.reference_ns;
  report.warnings = std::move(figures.warnings);
  DescribeReference(job, &report);
  int64_t capacity_ns = 0;  // slots x wall; saturates instead of overflowing (found by fuzzing)
  if (__builtin_mul_overflow(slots, report.wall_ns, &capacity_ns)) capacity_ns = INT64_MAX;
  report.overhead_ns = std::max<int64_t>(0, capacity_ns - report.busy_ns);
  report.decrements_per_second = Ratio(report.job.decrements_done * 1e9, report.wall_ns);
  report.chunk_durations = stats.durations().Summary();
  report.counters = stats.counters;
  return report;
}

}  // namespace tminus
