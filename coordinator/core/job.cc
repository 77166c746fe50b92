#include "coordinator/core/job.h"

#include <limits>
#include <utility>

namespace tminus {

Job::Job(JobId id, JobSpec spec, int64_t submit_mono_ns, int64_t submit_wall_ns)
    : id_(id),
      spec_(std::move(spec)),
      named_workers_(spec_.workers.begin(), spec_.workers.end()),
      plan_(PlanOf(spec_)),
      live_(std::make_unique<Live>()),
      submit_mono_ns_(submit_mono_ns),
      submit_wall_ns_(submit_wall_ns) {}

bool Job::HasQueuedChunk() {
  if (held_ || live_ == nullptr) return false;
  Live& live = *live_;
  while (!live.requeued.empty() && live.done.Contains(live.requeued.front().chunk)) {
    live.requeued.pop_front();
  }
  // Only a restored job has done chunks ahead of the cursor.
  while (live.next_fresh < plan_.chunk_count() && live.done.Contains(live.next_fresh)) {
    ++live.next_fresh;
  }
  return !live.requeued.empty() || live.next_fresh < plan_.chunk_count();
}

std::pair<int64_t, int32_t> Job::TakeChunk() {
  Live& live = *live_;
  if (!live.requeued.empty()) {
    const Requeued next = live.requeued.front();
    live.requeued.pop_front();
    return {next.chunk, next.next_attempt};
  }
  return {live.next_fresh++, 1};
}

void Job::Requeue(int64_t chunk, int32_t last_attempt) {
  live_->requeued.push_back({chunk, last_attempt + 1});
}

int32_t Job::MaxRunningPerWorker() const {
  const int32_t cap = spec_.max_slots_per_worker;
  const int32_t total = spec_.max_slots;
  if (cap > 0 && total > 0) return std::min(cap, total);
  return cap > 0 ? cap : total;
}

int32_t Job::ShareOn(int32_t slots) const {
  const int32_t limit = MaxRunningPerWorker();
  return limit > 0 ? std::min(limit, slots) : slots;
}

bool Job::MayLeaseTo(SessionId session, int32_t slots) const {
  const auto it = live_->holders.find(session);
  const int32_t held = it == live_->holders.end() ? 0 : it->second.held;
  const int32_t share = ShareOn(slots);
  if (held < share) return spec_.max_slots == 0 || live_->running_bound < spec_.max_slots;
  // Prefetch: bounded by the session's credits, and by one more share when
  // a cap limits the job (the worker runs at most the share at once).
  return MaxRunningPerWorker() == 0 || held < 2 * share;
}

void Job::AddHolder(SessionId session, int32_t slots, uint32_t worker) {
  Live::Holder& holder = live_->holders[session];
  if (holder.held == 0) live_->leased_workers.insert(worker);  // once per run of leases
  holder.share = ShareOn(slots);
  if (++holder.held <= holder.share) ++live_->running_bound;
}

int64_t Job::holders_total() const {
  int64_t total = 0;
  for (const auto& [session, holder] : live_->holders) total += holder.held;
  return total;
}

void Job::RemoveHolder(SessionId session) {
  const auto it = live_->holders.find(session);
  if (it == live_->holders.end()) return;
  if (it->second.held-- <= it->second.share) --live_->running_bound;
  if (it->second.held == 0) live_->holders.erase(it);
}

int64_t Job::running() const {
  if (live_ == nullptr) return 0;
  return static_cast<int64_t>(live_->leases.size() + live_->backups.size());
}

bool Job::MarkDone(int64_t chunk, int64_t decrements, int64_t now_mono_ns) {
  if (!live_->done.Insert(chunk)) return false;
  decrements_done_ += decrements;
  last_accept_mono_ns_ = now_mono_ns;
  return true;
}

int32_t Job::RecordFailure(int64_t chunk, const std::string& worker_id) {
  std::vector<std::string>& workers = live_->failures[chunk];
  workers.push_back(worker_id);
  ++live_->stats.counters.failed_attempts;
  return static_cast<int32_t>(workers.size());
}

const std::vector<std::string>& Job::FailedOn(int64_t chunk) const {
  static const std::vector<std::string> kNone;
  const auto it = live_->failures.find(chunk);
  return it == live_->failures.end() ? kNone : it->second;
}

void Job::MarkStarted(int64_t now_mono_ns, int64_t now_wall_ns) {
  if (state_ != JobState::kQueued) return;
  state_ = JobState::kRunning;
  start_mono_ns_ = now_mono_ns;
  start_wall_ns_ = now_wall_ns;
}

void Job::Restore(const JobSnapshot& snapshot, CompletionSet done, int64_t now_mono_ns,
                  int64_t now_wall_ns) {
  state_ = snapshot.state;
  restored_ = true;
  error_ = snapshot.error;
  live_->done = std::move(done);
  live_->next_fresh = live_->done.done_prefix();
  decrements_done_ = snapshot.decrements_done;
  submit_wall_ns_ = snapshot.submit_wall_ns;
  submit_mono_ns_ = now_mono_ns - (now_wall_ns - snapshot.submit_wall_ns);
  start_wall_ns_ = snapshot.start_wall_ns;
  end_wall_ns_ = snapshot.end_wall_ns;
  if (snapshot.start_wall_ns != 0) {
    start_mono_ns_ = now_mono_ns - (now_wall_ns - snapshot.start_wall_ns);
    last_accept_mono_ns_ = start_mono_ns_ + snapshot.elapsed_ns;
  }
  if (IsTerminal(state_)) {
    // Anchored on the submit, so the saved wall and submit-to-done come back
    // exactly (the report is made from them).
    end_mono_ns_ = submit_mono_ns_ + snapshot.submit_to_done_ns;
    if (snapshot.start_wall_ns != 0) start_mono_ns_ = end_mono_ns_ - snapshot.elapsed_ns;
  }
  live_->stats.counters = snapshot.counters;
}

void Job::Finish(JobState state, std::string error, int64_t now_mono_ns, int64_t now_wall_ns) {
  state_ = state;
  error_ = std::move(error);
  end_mono_ns_ = now_mono_ns;
  end_wall_ns_ = now_wall_ns;
  live_->requeued.clear();
  live_->leases.clear();
  live_->backups.clear();
}

void Job::KeepTimeline(JobTimeline timeline) {
  final_timeline_ = std::make_unique<const JobTimeline>(std::move(timeline));
}

void Job::Compact(JobReport report) {
  final_report_ = std::make_unique<const JobReport>(std::move(report));
  live_.reset();
  spec_ = WithoutPythonSource(spec_);  // nothing runs it again
}

}  // namespace tminus
