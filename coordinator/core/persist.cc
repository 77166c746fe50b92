// Snapshots for the store, and rebuilding jobs from them after a restart.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/core/scheduler.h"

namespace tminus {
namespace {

JobSnapshot::Worker SavedWorker(const WorkerTotals& totals) {
  JobSnapshot::Worker w;
  w.worker_id = totals.who.worker_id;
  w.host = totals.who.host;
  w.slots = totals.who.slots;
  w.chunks = totals.chunks;
  w.decrements = totals.decrements;
  w.busy_ns = totals.busy_ns;
  w.cpu_ns = totals.cpu_ns;
  w.reference_ns = totals.reference_ns;
  w.unreferenced_decrements = totals.unreferenced_decrements;
  for (const SlotTotals& slot : totals.slots) {
    w.slot_chunks.push_back(slot.chunks);
    w.slot_decrements.push_back(slot.decrements);
    w.slot_busy_ns.push_back(slot.busy_ns);
  }
  return w;
}

WorkerTotals RestoredTotals(const JobSnapshot::Worker& w) {
  WorkerTotals t;
  t.who = WorkerIdentityView{w.worker_id, w.host, w.slots};
  t.chunks = w.chunks;
  t.decrements = w.decrements;
  t.busy_ns = w.busy_ns;
  t.cpu_ns = w.cpu_ns;
  t.reference_ns = w.reference_ns;
  t.unreferenced_decrements = w.unreferenced_decrements;
  // Saved before 0.4, with no reference: no speedup can be backed.
  if (t.reference_ns == 0 && t.unreferenced_decrements == 0) t.unreferenced_decrements = w.decrements;
  for (size_t i = 0; i < w.slot_chunks.size(); ++i) {
    t.slots.push_back(SlotTotals{w.slot_chunks[i],
                                 i < w.slot_decrements.size() ? w.slot_decrements[i] : 0,
                                 i < w.slot_busy_ns.size() ? w.slot_busy_ns[i] : 0});
  }
  return t;
}

// OK, or INVALID_ARGUMENT for a saved job whose numbers cannot be true.
absl::Status CheckSaved(const JobSnapshot& s, int64_t chunks, int64_t now_wall) {
  if (s.completion_size < 0 || s.completion_size > chunks || s.completion_base < 0 ||
      s.decrements_done < 0 || s.decrements_done > s.spec.n) {
    return absl::InvalidArgumentError(absl::StrCat("saved job ", s.id, ": inconsistent progress"));
  }
  // Times must be plausible: they are re-anchored by subtraction.
  constexpr int64_t kCentury = int64_t{100} * 365 * 24 * 3600 * 1'000'000'000;
  for (int64_t t : {s.submit_wall_ns, s.start_wall_ns, s.end_wall_ns}) {
    if (t < 0 || t > now_wall + kCentury) {
      return absl::InvalidArgumentError(absl::StrCat("saved job ", s.id, ": impossible time"));
    }
  }
  for (int64_t d : {s.elapsed_ns, s.submit_to_done_ns, s.busy_ns, s.cpu_ns}) {
    if (d < 0 || d > kCentury) {
      return absl::InvalidArgumentError(absl::StrCat("saved job ", s.id, ": impossible duration"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

JobSnapshot Scheduler::SnapshotOf(const Job& job) const {
  const JobView view = ViewOf(job);
  JobSnapshot s;
  s.id = job.id();
  s.request_id = job.request_id();
  s.spec = job.spec();
  s.state = job.state();
  s.error = job.error();
  s.submit_wall_ns = job.submit_wall_ns();
  s.start_wall_ns = job.start_wall_ns();
  s.end_wall_ns = job.end_wall_ns();
  s.elapsed_ns = job.terminal() || job.last_accept_mono_ns() == 0
                     ? view.elapsed_ns
                     : job.last_accept_mono_ns() - job.start_mono_ns();
  if (job.terminal()) s.submit_to_done_ns = job.end_mono_ns() - job.submit_mono_ns();
  s.decrements_done = job.decrements_done();
  s.completion_base = job.done().done_prefix();
  s.completion_words.assign(job.done().words().begin(), job.done().words().end());
  s.completion_size = job.done().size();
  const JobStats& stats = job.stats();
  s.busy_ns = stats.busy_ns();
  s.cpu_ns = stats.cpu_ns();
  s.kernel_ns = stats.kernel_ns();
  s.histogram = stats.durations().NonEmptyBuckets();
  s.histogram_count = stats.durations().count();
  s.histogram_min = stats.durations().min();
  s.histogram_max = stats.durations().max();
  s.counters = stats.counters;
  for (const auto& [index, totals] : stats.workers()) s.workers.push_back(SavedWorker(totals));
  return s;
}

std::vector<JobSnapshot> Scheduler::TakeDirtySnapshots() {
  std::vector<JobSnapshot> snapshots = std::exchange(final_snapshots_, {});
  snapshots.reserve(snapshots.size() + dirty_jobs_.size());
  for (JobId id : dirty_jobs_) {
    const Job* job = FindJob(id);
    if (job != nullptr && !job->compacted()) snapshots.push_back(SnapshotOf(*job));
  }
  dirty_jobs_.clear();
  return snapshots;
}

absl::Status Scheduler::Restore(const std::vector<JobSnapshot>& jobs, JobId next_job_id) {
  if (!jobs_.empty()) return absl::FailedPreconditionError("restore into a scheduler with jobs");
  const int64_t now_mono = clock_->MonoNs();
  const int64_t now_wall = clock_->WallNs();
  next_job_id_ = std::max<JobId>(next_job_id_, next_job_id);
  for (const JobSnapshot& s : jobs) {
    // A finished python job kept its kernel, not its source.
    if (absl::Status valid = ValidateJobSpec(s.spec, IsTerminal(s.state)); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("saved job ", s.id, ": ", valid.message()));
    }
    auto job = std::make_unique<Job>(s.id, s.spec, now_mono, now_wall);
    RETURN_IF_ERROR(CheckSaved(s, job->plan().chunk_count(), now_wall));
    job->set_request_id(s.request_id);
    job->Restore(s, CompletionSet::Restore(s.completion_base, s.completion_words, s.completion_size),
                 now_mono, now_wall);
    std::map<uint32_t, WorkerTotals> totals;
    for (const JobSnapshot::Worker& w : s.workers) {
      // Keyed by the registry, so a worker that comes back adds to its totals.
      const uint32_t key = RecordFor(w.worker_id);
      WorkerRecord& record = workers_[key];
      if (record.hello.host.empty()) {
        record.hello.host = w.host;
        record.hello.slots = w.slots;
        record.last_seen_wall_ns = now_wall;  // kept for --forget-workers-after from now
      }
      totals[key] = RestoredTotals(w);
    }
    job->stats().Restore(s.busy_ns, s.cpu_ns, s.kernel_ns,
                         DurationHistogram::Restore(s.histogram, s.histogram_count,
                                                    s.histogram_min, s.histogram_max),
                         std::move(totals));
    if (!job->terminal() && job->AllChunksDone()) {
      // Saved between the last result and the end of the job.
      const bool exact = job->decrements_done() == s.spec.n;
      job->Finish(exact ? JobState::kSucceeded : JobState::kFailed,
                  exact ? "" : "accounting mismatch after restart", now_mono, now_wall);
      final_snapshots_.push_back(SnapshotOf(*job));
    }
    if (job->terminal()) {
      ++terminal_jobs_;
      Retain(*job);
      job->Compact(ReportOf(*job));  // saved jobs have no timeline
    } else {
      queued_.insert({-s.spec.priority, s.id});
      ++queue_epoch_;
      active_.insert(s.id);
      // Its workers reconnect and resend what the process before leased
      // them; they have about half a second to reconnect (docs/architecture.md).
      restore_grace_until_ns_ = now_mono + 2 * options_.lease_timeout_ns;
      if (s.spec.time_limit_ms > 0) time_limited_.insert(s.id);
    }
    if (!s.request_id.empty()) request_ids_.emplace(s.request_id, s.id);
    next_job_id_ = std::max(next_job_id_, s.id + 1);
    jobs_.emplace(s.id, std::move(job));
  }
  return absl::OkStatus();
}

}  // namespace tminus
