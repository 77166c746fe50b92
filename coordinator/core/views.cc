// Read-only views: job status, the timing report, progress, listings.
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/study_series.h"
#include "coordinator/core/figures.h"
#include "coordinator/core/scheduler.h"

namespace tminus {
namespace {

double Ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

absl::Status JobNotFound(JobId id) {
  return absl::NotFoundError(absl::StrCat("job ", id, " not found"));
}

// A crawling job's ETA can exceed what int64 nanoseconds hold (found by
// fuzzing): capped instead of overflowing.
}  // namespace

JobView Scheduler::ViewOf(const Job& job) const {
  if (job.compacted()) return job.final_report().job;
  JobView view;
  view.id = job.id();
  view.spec = job.spec();
  view.state = job.state();
  view.chunk_total = job.plan().chunk_count();
  view.chunks_done = job.done().size();
  view.decrements_done = job.decrements_done();
  view.chunks_running = RunningOf(job);
  view.chunks_prefetched = std::max<int64_t>(0, job.running() - view.chunks_running);
  view.submit_wall_ns = job.submit_wall_ns();
  view.start_wall_ns = job.start_wall_ns();
  view.end_wall_ns = job.end_wall_ns();
  view.error = job.error();
  view.waiting_reason = WaitingReason(job);
  if (job.start_mono_ns() != 0) {
    // Wall time runs from the first dispatch to now, or to the end: the last
    // accepted result of a job that succeeded, the cancel or the failure.
    const int64_t end = job.terminal() ? job.end_mono_ns() : clock_->MonoNs();
    view.elapsed_ns = std::max<int64_t>(0, end - job.start_mono_ns());
  }
  return view;
}

std::string Scheduler::WaitingReason(const Job& job) const {
  if (job.state() != JobState::kQueued || job.held()) return "";
  Job::WaitingCache& cache = job.waiting_cache();
  if (cache.epoch == sessions_epoch_ + 1) return cache.reason;
  bool fits = false;
  bool all_draining = true;
  for (const auto& [id, session] : sessions_) {
    all_draining = all_draining && !session.takes_leases();
    if (session.takes_leases() && Fits(job, session)) {
      fits = true;
      break;
    }
  }
  std::string reason;
  const JobSpec& spec = job.spec();
  if (fits) {
    // Some worker could take it: it waits its turn.
  } else if (sessions_.empty()) {
    reason = "no worker is connected";
  } else if (all_draining) {
    reason = "every connected worker is draining or drained";
  } else if (!spec.placed() && spec.kernel_kind() != KernelKind::kCountdown) {
    reason = absl::StrCat("no connected worker runs the ", KernelName(spec.kernel_kind()),
                          " kernel on the ", ExecutorName(spec.executor),
                          " executor (workers run it only when started with --allow-kernels ",
                          KernelName(spec.kernel_kind()), ")");
  } else if (!spec.placed()) {
    reason = absl::StrCat("no connected worker runs the ", ExecutorName(spec.executor),
                          " executor");
  } else {
    std::vector<std::string> terms;
    if (!spec.selector.empty()) terms.push_back(FormatLabels(spec.selector));
    if (!spec.workers.empty()) terms.push_back("workers=" + absl::StrJoin(spec.workers, "|"));
    reason = absl::StrCat("no connected worker matches ", absl::StrJoin(terms, " "));
  }
  cache = Job::WaitingCache{sessions_epoch_ + 1, reason};
  return reason;
}

absl::StatusOr<JobView> Scheduler::GetJob(JobId id) const {
  const Job* job = FindJob(id);
  if (job == nullptr) return JobNotFound(id);
  return ViewOf(*job);
}

std::vector<JobView> Scheduler::ListJobs(JobId before, int limit, const JobFilter& filter) const {
  std::vector<JobView> views;
  auto it = before == 0 ? jobs_.end() : jobs_.lower_bound(before);
  while (it != jobs_.begin() && static_cast<int>(views.size()) < limit) {
    --it;
    const Job& job = *it->second;
    // Ids grow with submission: past the first job that is too old, all are.
    if (job.submit_wall_ns() < filter.submitted_after_wall_ns) break;
    if (filter.hide_study_jobs && job.spec().labels.count(kStudyLabel) > 0) continue;
    if (!filter.states.empty() &&
        std::find(filter.states.begin(), filter.states.end(), job.state()) == filter.states.end()) {
      continue;
    }
    views.push_back(ViewOf(job));
  }
  return views;
}

absl::StatusOr<JobReport> Scheduler::GetReport(JobId id) const {
  const Job* job = FindJob(id);
  if (job == nullptr) return JobNotFound(id);
  if (job->compacted()) return job->final_report();
  return ReportOf(*job);
}

absl::StatusOr<JobProgress> Scheduler::GetProgress(JobId id) const {
  const Job* job = FindJob(id);
  if (job == nullptr) return JobNotFound(id);
  JobProgress progress;
  progress.job = ViewOf(*job);
  progress.decrements_per_second =
      Ratio(progress.job.decrements_done * 1e9, progress.job.elapsed_ns);
  if (job->compacted()) {
    for (const WorkerReport& worker : job->final_report().workers) {
      progress.workers.push_back(WorkerProgress{worker, 0, worker.chunks, worker.decrements});
    }
    return progress;
  }
  progress.eta_ns = EtaNs(job->spec().n - progress.job.decrements_done,
                          progress.decrements_per_second);
  progress.cpu_share = Ratio(job->stats().cpu_ns(), job->stats().busy_ns());
  if (std::string warning = CpuShareWarning(job->stats().busy_ns(), job->stats().cpu_ns());
      !warning.empty()) {
    progress.warnings.push_back(std::move(warning));
  }
  std::map<uint32_t, WorkerProgress> by_worker;
  for (const auto& [worker, totals] : job->stats().workers()) {
    WorkerProgress& entry = by_worker[worker];
    static_cast<WorkerIdentityView&>(entry) = totals.who;
    entry.chunks_done = totals.chunks;
    entry.decrements_done = totals.decrements;
  }
  job->ForEachHolder([&](SessionId id, int32_t held) {
    const auto session = sessions_.find(id);
    if (session == sessions_.end() || held == 0) return;
    WorkerProgress& entry = by_worker[session->second.worker];
    if (entry.worker_id.empty()) {
      static_cast<WorkerIdentityView&>(entry) = IdentityOf(session->second.worker);
    }
    const int64_t running = RunningOn(session->second, job->id(), held);
    entry.chunks_running += running;
    entry.chunks_prefetched += held - running;
  });
  for (auto& [worker, entry] : by_worker) progress.workers.push_back(entry);
  return progress;
}

std::vector<WorkerView> Scheduler::ListWorkers() const {
  std::vector<WorkerView> views;
  for (const auto& [key, record] : workers_) {
    WorkerView view;
    static_cast<WorkerIdentity&>(view) = record.hello;
    view.state = record.state;
    if (record.session != 0) {
      const auto session = sessions_.find(record.session);
      if (session != sessions_.end()) {
        for (const auto& [job, chunks] : session->second.running) view.chunks_running += chunks;
        const auto leased = static_cast<int64_t>(session->second.leases.size());
        view.chunks_running = std::min(view.chunks_running, leased);
        view.chunks_prefetched = leased - view.chunks_running;
      }
    }
    view.calibration = record.calibration;
    if (record.calibration.valid()) {
      view.calibration.age_ns = clock_->MonoNs() - record.calibrated_mono_ns;
    }
    view.chunks_done = record.chunks_done;
    view.decrements_done = record.decrements_done;
    view.busy_ns = record.busy_ns;
    view.connected_wall_ns = record.connected_wall_ns;
    view.last_seen_wall_ns = record.last_seen_wall_ns;
    view.sessions = record.sessions;
    view.lease_expiries = record.lease_expiries;
    view.drains = record.drains;
    view.leases_lost = record.leases_lost;
    view.usage = record.usage;
    view.usage_reported = record.usage_reported;
    view.cpu_cores = record.cpu_cores;
    views.push_back(std::move(view));
  }
  return views;
}

std::string Scheduler::WorkerNameOf(const Job& job, uint32_t worker) const {
  const auto totals = job.stats().workers().find(worker);
  if (totals != job.stats().workers().end()) return totals->second.who.worker_id;
  return WorkerName(worker);
}

std::string Scheduler::WorkerName(uint32_t worker) const {
  const auto record = workers_.find(worker);
  if (record != workers_.end()) return record->second.hello.worker_id;
  return absl::StrCat("worker-", worker);  // forgotten
}

absl::StatusOr<JobTimeline> Scheduler::GetTimeline(JobId id) const {
  const Job* job = FindJob(id);
  if (job == nullptr) return JobNotFound(id);
  if (job->compacted()) {
    if (job->final_timeline() != nullptr) return *job->final_timeline();
    JobTimeline none;
    none.start_wall_ns = job->final_report().job.start_wall_ns;
    none.truncated = true;  // dropped: older than the kept timelines
    return none;
  }
  return job->timeline().Build(job->start_wall_ns(), TimelineRing::kCapacity,
                               [this, job](uint32_t worker) { return WorkerNameOf(*job, worker); });
}

ClusterTotals Scheduler::Totals() const {
  ClusterTotals totals;
  for (const auto& [id, session] : sessions_) {
    ++totals.workers_connected;
    totals.slots_total += session.identity.slots;
    int64_t running = 0;
    for (const auto& [job, chunks] : session.running) running += chunks;
    totals.slots_busy += std::min({int64_t{session.identity.slots}, running,
                                   static_cast<int64_t>(session.leases.size())});
  }
  for (JobId id : active_) {
    const Job& job = *jobs_.at(id);
    if (job.state() == JobState::kQueued) ++totals.jobs_queued;
    if (job.state() == JobState::kRunning) ++totals.jobs_running;
    totals.chunks_queued += std::max<int64_t>(
        0, job.plan().chunk_count() - job.done().size() - job.running());
  }
  return totals;
}

}  // namespace tminus
