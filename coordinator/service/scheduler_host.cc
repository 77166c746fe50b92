#include "coordinator/service/scheduler_host.h"

#include "common/clock.h"
#include "common/logging.h"

#include <vector>

namespace tminus {

constexpr absl::Duration kCommitInterval = absl::Milliseconds(5);
constexpr absl::Duration kRetryInterval = absl::Milliseconds(500);

namespace {

SchedulerOptions WithHold(SchedulerOptions options, const Store& store) {
  options.hold_until_saved = store.durable();
  return options;
}

}  // namespace

SchedulerHost::SchedulerHost(const Clock* clock, SchedulerOptions options,
                             std::unique_ptr<Store> store)
    : clock_(clock),
      scheduler_(clock, WithHold(options, *store)),
      housekeeping_every_(absl::Nanoseconds(options.housekeeping_interval_ns)),
      store_(std::move(store)) {}

SchedulerHost::~SchedulerHost() {
  stop_.Notify();
  {
    MutexLock lock(&mu_);  // wakes the committer
  }
  if (housekeeping_.joinable()) housekeeping_.join();
  if (committer_.joinable()) committer_.join();
}

absl::Status SchedulerHost::Recover() {
  absl::StatusOr<std::vector<JobSnapshot>> jobs = store_->LoadJobs();
  if (!jobs.ok()) return jobs.status();
  absl::StatusOr<uint64_t> next_id = store_->LoadNextJobId();
  if (!next_id.ok()) return next_id.status();
  absl::StatusOr<std::vector<StudyRecord>> studies = store_->LoadStudies();
  if (!studies.ok()) return studies.status();
  MutexLock lock(&mu_);
  KeepStudiesLocked(*studies);
  absl::Status restored = scheduler_.Restore(*jobs, *next_id);
  if (restored.ok() && !jobs->empty()) {
    Logger("coordinator")->info("recovered jobs={} from the state store", jobs->size());
  }
  return restored;
}

void SchedulerHost::AfterCommit(std::function<void(const absl::Status&)> done) {
  if (!store_->durable()) {
    done(absl::OkStatus());
    return;
  }
  MutexLock lock(&mu_);
  after_commit_.push_back(std::move(done));
}

void SchedulerHost::KeepStudiesLocked(const std::vector<StudyRecord>& studies) {
  for (const StudyRecord& study : studies) {
    next_study_id_ = std::max(next_study_id_, study.id + 1);
    studies_.push_front(std::make_shared<const StudyRecord>(study));
    if (studies_.size() > kStudiesKept) studies_.pop_back();
  }
}

void SchedulerHost::RecordStudy(StudyRecord study, StudyDone done) {
  std::vector<StudyRecord> kept;
  {
    MutexLock lock(&mu_);
    study.id = next_study_id_++;
    study.created_wall_ns = clock_->WallNs();
    if (store_->durable()) {
      pending_studies_.emplace_back(std::move(study), std::move(done));
      return;
    }
    KeepStudiesLocked({study});
  }
  done(study);
}

std::vector<std::shared_ptr<const StudyRecord>> SchedulerHost::Studies() const {
  MutexLock lock(&mu_);
  return {studies_.begin(), studies_.end()};
}

bool SchedulerHost::store_healthy() const {
  MutexLock lock(&mu_);
  return store_ok_;
}

void SchedulerHost::NoteApplied(SessionId session, uint64_t seq) {
  MutexLock lock(&mu_);
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
  MutexLock commit(&commit_mu_);
  std::vector<JobSnapshot> batch;
  StoreBatch stored;
  std::vector<std::pair<StudyRecord, StudyDone>> studies;
  std::vector<JobId> held;
  absl::flat_hash_map<SessionId, uint64_t> acks;
  std::vector<std::function<void(const absl::Status&)>> callbacks;
  JobId next_job_id = 0;
  {
    MutexLock lock(&mu_);
    for (JobSnapshot& snapshot : scheduler_.TakeDirtySnapshots()) {
      unsaved_.insert_or_assign(snapshot.id, std::move(snapshot));
    }
    for (JobId id : scheduler_.TakeForgottenJobs()) {
      unsaved_.erase(id);  // a job deleted before its last snapshot was saved
      deleted_.push_back(id);
    }
    held = scheduler_.TakeHeldJobs();
    acks.swap(acks_due_);
    callbacks.swap(after_commit_);
    studies.swap(pending_studies_);
    // A failing store is tried again even with nothing new: that is how it
    // is found to work again.
    if (unsaved_.empty() && deleted_.empty() && acks.empty() && callbacks.empty() &&
        studies.empty() && store_ok_) {
      return;
    }
    batch.reserve(unsaved_.size());
    for (auto& [id, snapshot] : unsaved_) batch.push_back(std::move(snapshot));
    unsaved_.clear();
    next_job_id = scheduler_.next_job_id();
    stored.deleted_jobs.assign(deleted_.begin(), deleted_.end());
  }
  stored.jobs = std::move(batch);
  stored.next_job_id = next_job_id;
  for (const auto& [study, done] : studies) stored.studies.push_back(study);
  const int64_t started = RealClock::Get()->MonoNs();
  const absl::Status saved = store_->Save(stored);
  batch = std::move(stored.jobs);
  if (commit_observer_) commit_observer_((RealClock::Get()->MonoNs() - started) * 1e-9, !saved.ok());
  {
    MutexLock lock(&mu_);
    if (saved.ok()) {
      scheduler_.SetDispatchPaused(false);
      // Only a commit that saved a job proves the store takes writes again:
      // a full disk may still take the small commit of the id mark alone.
      if (!store_ok_ && !batch.empty()) {
        Logger("coordinator")->warn("state store: commits work again after {} failed",
                                    failed_commits_);
        store_ok_ = true;
        failed_commits_ = 0;
      }
      scheduler_.ReleaseSaved(held);
      // Only this thread commits: deleted_ has grown, never shrunk, since the copy.
      deleted_.erase(deleted_.begin(), deleted_.begin() + stored.deleted_jobs.size());
      KeepStudiesLocked(stored.studies);
      for (const auto& [session, seq] : acks) {
        const auto it = sinks_.find(session);
        if (it != sinks_.end()) it->second->DeliverAck(seq);
      }
      FlushLocked();
    } else {
      CommitFailedLocked(saved, std::move(batch), held, acks);
    }
  }
  for (auto& callback : callbacks) callback(saved);
  for (auto& [study, done] : studies) {
    if (saved.ok()) done(study);
    else done(saved);
  }
}

void SchedulerHost::CommitFailedLocked(const absl::Status& error, std::vector<JobSnapshot> batch,
                                       const std::vector<JobId>& held,
                                       const absl::flat_hash_map<SessionId, uint64_t>& acks) {
  // Nothing unsaved runs: jobs submitted into this commit are refused (their
  // callers get `error`), and no new lease goes out until a commit works.
  // Everything else is kept and saved by a later commit; acks wait for it.
  const absl::flat_hash_set<JobId> dropped(held.begin(), held.end());
  for (JobId id : held) scheduler_.DropUnsaved(id);
  for (JobSnapshot& snapshot : batch) {
    if (!dropped.contains(snapshot.id)) unsaved_.try_emplace(snapshot.id, std::move(snapshot));
  }
  for (const auto& [session, seq] : acks) {
    uint64_t& due = acks_due_[session];
    due = std::max(due, seq);
  }
  if (store_ok_ || failed_commits_ % 100 == 0) {
    Logger("coordinator")->error("{} (refused {} new jobs; leasing paused until a commit works)",
                                 std::string(error.message()), held.size());
  }
  store_ok_ = false;
  ++failed_commits_;
  scheduler_.SetDispatchPaused(true);
}

void SchedulerHost::CommitLoop() {
  while (!stop_.HasBeenNotified()) {
    {
      // Wake at once for a waiting client, else every kCommitInterval (every
      // kRetryInterval while the store fails).
      MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !after_commit_.empty() || stop_.HasBeenNotified();
      };
      mu_.AwaitWithTimeout(wanted, store_ok_ ? kCommitInterval : kRetryInterval);
    }
    CommitOnce();
  }
}

void SchedulerHost::CloseSession(SessionId id, SessionSink* sink) {
  MutexLock lock(&mu_);
  const auto it = sinks_.find(id);
  if (it != sinks_.end() && it->second == sink) sinks_.erase(it);
  acks_due_.erase(id);
  scheduler_.CloseSession(id);
  FlushLocked();
}

void SchedulerHost::AddListener(JobId job, JobListener* listener) {
  MutexLock lock(&mu_);
  listeners_.emplace(job, listener);
}

void SchedulerHost::RemoveListener(JobId job, JobListener* listener) {
  MutexLock lock(&mu_);
  auto [begin, end] = listeners_.equal_range(job);
  for (auto it = begin; it != end; ++it) {
    if (it->second == listener) {
      listeners_.erase(it);
      return;
    }
  }
}

void SchedulerHost::StartHousekeeping() {
  const bool durable = store_->durable();
  if (durable) committer_ = std::thread([this] { CommitLoop(); });
  housekeeping_ = std::thread([this, durable] {
    while (!stop_.WaitForNotificationWithTimeout(housekeeping_every_)) {
      Run([durable](Scheduler& scheduler) {
        scheduler.ExpireSilentSessions();
        if (!durable) scheduler.DropPendingSaves();  // no commit will take them
      });
    }
  });
}

void SchedulerHost::CloseAllSessions() {
  MutexLock lock(&mu_);
  scheduler_.BeginShutdown();
  for (auto& [job, listener] : listeners_) listener->OnShutdown();
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
