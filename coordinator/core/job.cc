#include "coordinator/core/job.h"

#include "coordinator/core/report.h"

#include <limits>
#include <utility>

namespace tminus {

Job::Job(JobId id, JobSpec spec, int64_t submit_mono_ns, int64_t submit_wall_ns)
    : id_(id),
      spec_(std::move(spec)),
      plan_(PlanOf(spec_)),
      submit_mono_ns_(submit_mono_ns),
      submit_wall_ns_(submit_wall_ns) {}

bool Job::HasQueuedChunk() {
  while (!requeued_.empty() && done_.Contains(requeued_.front().chunk)) requeued_.pop_front();
  // Only a restored job has done chunks ahead of the cursor.
  while (next_fresh_ < plan_.chunk_count() && done_.Contains(next_fresh_)) ++next_fresh_;
  return !requeued_.empty() || next_fresh_ < plan_.chunk_count();
}

std::pair<int64_t, int32_t> Job::TakeChunk() {
  if (!requeued_.empty()) {
    const Requeued next = requeued_.front();
    requeued_.pop_front();
    return {next.chunk, next.next_attempt};
  }
  return {next_fresh_++, 1};
}

void Job::Requeue(int64_t chunk, int32_t last_attempt) {
  requeued_.push_back({chunk, last_attempt + 1});
}

int64_t Job::LeaseRoom() const {
  if (spec_.max_slots == 0) return std::numeric_limits<int64_t>::max();
  return std::max<int64_t>(0, spec_.max_slots - static_cast<int64_t>(leases_.size()));
}

bool Job::MarkDone(int64_t chunk, int64_t decrements, int64_t now_mono_ns) {
  if (!done_.Insert(chunk)) return false;
  decrements_done_ += decrements;
  last_accept_mono_ns_ = now_mono_ns;
  return true;
}

int32_t Job::RecordFailure(int64_t chunk, const std::string& worker_id) {
  std::vector<std::string>& workers = failures_[chunk];
  workers.push_back(worker_id);
  ++stats_.failed_attempts;
  return static_cast<int32_t>(workers.size());
}

const std::vector<std::string>& Job::FailedOn(int64_t chunk) const {
  static const std::vector<std::string> kNone;
  const auto it = failures_.find(chunk);
  return it == failures_.end() ? kNone : it->second;
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
  error_ = snapshot.error;
  done_ = std::move(done);
  next_fresh_ = done_.done_prefix();
  decrements_done_ = snapshot.decrements_done;
  submit_wall_ns_ = snapshot.submit_wall_ns;
  submit_mono_ns_ = now_mono_ns - (now_wall_ns - snapshot.submit_wall_ns);
  start_wall_ns_ = snapshot.start_wall_ns;
  end_wall_ns_ = snapshot.end_wall_ns;
  if (snapshot.start_wall_ns != 0) {
    start_mono_ns_ = now_mono_ns - (now_wall_ns - snapshot.start_wall_ns);
    last_accept_mono_ns_ = start_mono_ns_ + snapshot.elapsed_ns;
  }
  if (IsTerminal(state_)) end_mono_ns_ = submit_mono_ns_ + snapshot.submit_to_done_ns;
  stats_.retries = snapshot.retries;
  stats_.duplicates = snapshot.duplicates;
  stats_.failed_attempts = snapshot.failed_attempts;
  stats_.lease_expiries = snapshot.lease_expiries;
  stats_.backups = snapshot.backups;
  stats_.handed_back = snapshot.handed_back;
}

void Job::Finish(JobState state, std::string error, int64_t now_mono_ns, int64_t now_wall_ns) {
  state_ = state;
  error_ = std::move(error);
  end_mono_ns_ = now_mono_ns;
  end_wall_ns_ = now_wall_ns;
  requeued_.clear();
  leases_.clear();
  backups_.clear();
}

}  // namespace tminus
