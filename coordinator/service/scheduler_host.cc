#include "coordinator/service/scheduler_host.h"

#include <vector>

namespace tminus {

SchedulerHost::SchedulerHost(const Clock* clock, SchedulerOptions options)
    : scheduler_(clock, options) {}

SchedulerHost::~SchedulerHost() {
  stop_.Notify();
  if (housekeeping_.joinable()) housekeeping_.join();
}

void SchedulerHost::CloseSession(SessionId id, SessionSink* sink) {
  absl::MutexLock lock(&mu_);
  const auto it = sinks_.find(id);
  if (it != sinks_.end() && it->second == sink) sinks_.erase(it);
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
