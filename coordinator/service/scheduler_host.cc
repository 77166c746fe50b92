#include "coordinator/service/scheduler_host.h"

#include "common/logging.h"

#include <vector>

namespace tminus {

constexpr absl::Duration kCommitInterval = absl::Milliseconds(5);

SchedulerHost::SchedulerHost(const Clock* clock, SchedulerOptions options,
                             std::unique_ptr<Store> store)
    : scheduler_(clock, options), store_(std::move(store)) {}

SchedulerHost::~SchedulerHost() {
  stop_.Notify();
  {
    absl::MutexLock lock(&mu_);  // wakes the committer
  }
  if (housekeeping_.joinable()) housekeeping_.join();
  if (committer_.joinable()) committer_.join();
}

absl::Status SchedulerHost::Recover() {
  absl::StatusOr<std::vector<JobSnapshot>> jobs = store_->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  absl::MutexLock lock(&mu_);
  absl::Status restored = scheduler_.Restore(*jobs);
  if (restored.ok() && !jobs->empty()) {
    Logger("coordinator")->info("recovered jobs={} from the state store", jobs->size());
  }
  return restored;
}

void SchedulerHost::AfterCommit(std::function<void()> done) {
  if (!store_->durable()) {
    done();
    return;
  }
  absl::MutexLock lock(&mu_);
  after_commit_.push_back(std::move(done));
}

void SchedulerHost::NoteApplied(SessionId session, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  if (!store_->durable()) {
    const auto it = sinks_.find(session);
    if (it != sinks_.end()) it->second->DeliverAck(seq);
    return;
  }
  uint64_t& due = acks_due_[session];
  due = std::max(due, seq);
}

void SchedulerHost::CommitNow() { CommitOnce(); }

void SchedulerHost::CommitOnce() {
  absl::MutexLock commit(&commit_mu_);
  std::vector<JobSnapshot> snapshots;
  absl::flat_hash_map<SessionId, uint64_t> acks;
  std::vector<std::function<void()>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    snapshots = scheduler_.TakeDirtySnapshots();
    acks.swap(acks_due_);
    callbacks.swap(after_commit_);
  }
  if (snapshots.empty() && acks.empty() && callbacks.empty()) return;
  // A failing disk must not turn into lost work: keep trying, acknowledging
  // nothing meanwhile (workers keep their results; clients wait).
  for (absl::Status saved = store_->Save(snapshots); !saved.ok();
       saved = store_->Save(snapshots)) {
    Logger("coordinator")->error("state store commit failed, retrying: {}", saved.ToString());
    if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) return;
  }
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [session, seq] : acks) {
      const auto it = sinks_.find(session);
      if (it != sinks_.end()) it->second->DeliverAck(seq);
    }
  }
  for (auto& callback : callbacks) callback();
}

void SchedulerHost::CommitLoop() {
  while (!stop_.HasBeenNotified()) {
    {
      // Wake at once for a waiting client, else every kCommitInterval.
      absl::MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !after_commit_.empty() || stop_.HasBeenNotified();
      };
      mu_.AwaitWithTimeout(absl::Condition(&wanted), kCommitInterval);
    }
    CommitOnce();
  }
}

void SchedulerHost::CloseSession(SessionId id, SessionSink* sink) {
  absl::MutexLock lock(&mu_);
  const auto it = sinks_.find(id);
  if (it != sinks_.end() && it->second == sink) sinks_.erase(it);
  acks_due_.erase(id);
  scheduler_.CloseSession(id);
  FlushLocked();
}

void SchedulerHost::AddListener(JobId job, JobListener* listener) {
  absl::MutexLock lock(&mu_);
  listeners_.emplace(job, listener);
}

void SchedulerHost::RemoveListener(JobId job, JobListener* listener) {
  absl::MutexLock lock(&mu_);
  auto [begin, end] = listeners_.equal_range(job);
  for (auto it = begin; it != end; ++it) {
    if (it->second == listener) {
      listeners_.erase(it);
      return;
    }
  }
}

void SchedulerHost::StartHousekeeping() {
  if (store_->durable()) committer_ = std::thread([this] { CommitLoop(); });
  housekeeping_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(500))) {
      Run([](Scheduler& scheduler) { scheduler.ExpireSilentSessions(); });
    }
  });
}

void SchedulerHost::CloseAllSessions() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, sink] : sinks_) {
    Outbox closing;
    closing.close = true;
    closing.close_status = absl::UnavailableError("coordinator is shutting down");
    sink->Deliver(std::move(closing));
  }
}

void SchedulerHost::FlushLocked() {
  std::vector<std::pair<SessionId, Outbox>> outboxes;
  scheduler_.DrainOutboxes([&outboxes](SessionId id, Outbox outbox) {
    outboxes.emplace_back(id, std::move(outbox));
  });
  for (auto& [id, outbox] : outboxes) {
    const auto it = sinks_.find(id);
    if (it == sinks_.end()) continue;  // the stream is already gone
    SessionSink* sink = it->second;
    if (outbox.close) sinks_.erase(it);
    sink->Deliver(std::move(outbox));
  }
  for (JobId job : scheduler_.TakeFinishedJobs()) {
    auto [begin, end] = listeners_.equal_range(job);
    for (auto it = begin; it != end; ++it) it->second->OnJobFinished();
  }
}

}  // namespace tminus
