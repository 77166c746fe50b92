#include "coordinator/core/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tminus {

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

Scheduler::Scheduler(const Clock* clock, SchedulerOptions options)
    : clock_(clock), options_(options) {}

absl::StatusOr<JobId> Scheduler::Submit(const JobSpec& spec, const std::string& request_id) {
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id: at most ", kMaxRequestIdBytes,
                                                   " bytes, got ", request_id.size()));
  }
  if (!request_id.empty()) {
    const auto seen = request_ids_.find(request_id);
    if (seen != request_ids_.end()) return seen->second;
  }
  if (absl::Status valid = ValidateJobSpec(spec); !valid.ok()) return valid;
  if (ActiveJobs() >= options_.max_active_jobs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "jobs: at most ", options_.max_active_jobs,
        " jobs queued or running at once; wait for some to finish"));
  }
  const JobId id = next_job_id_++;
  auto job = std::make_unique<Job>(id, spec, clock_->MonoNs(), clock_->WallNs());
  job->set_request_id(request_id);
  queued_.insert({-spec.priority, id});
  dirty_jobs_.insert(id);
  jobs_.emplace(id, std::move(job));
  if (!request_id.empty()) request_ids_.emplace(request_id, id);
  Dispatch();
  return id;
}

int64_t Scheduler::ActiveJobs() const {
  return static_cast<int64_t>(jobs_.size()) - terminal_jobs_;
}

absl::Status Scheduler::Cancel(JobId id) {
  Job* job = FindJob(id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("job ", id, " not found"));
  if (job->terminal()) return absl::OkStatus();
  FinishJob(*job, JobState::kCancelled, "cancelled by request");
  return absl::OkStatus();
}

Job* Scheduler::FindJob(JobId id) {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

const Job* Scheduler::FindJob(JobId id) const {
  const auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

Session* Scheduler::FindSession(SessionId id) {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

Outbox* Scheduler::FindClosedOutbox(SessionId id) {
  for (auto& [session, box] : closed_outboxes_) {
    if (session == id) return &box;
  }
  return nullptr;
}

Outbox& Scheduler::OutboxOf(Session& session) {
  if (session.outbox.empty()) dirty_.push_back(session.id);
  return session.outbox;
}

std::vector<JobId> Scheduler::TakeFinishedJobs() { return std::exchange(finished_, {}); }

absl::StatusOr<SessionId> Scheduler::OpenSession(const WorkerHello& hello) {
  if (hello.worker_id.empty() || hello.worker_id.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("hello.worker_id: must be 1 to ",
                                                   kMaxNameBytes, " bytes"));
  }
  if (hello.slots < 1 || hello.slots > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello.slots: must be between 1 and 4096, got ", hello.slots));
  }
  if (!hello.threads && !hello.processes) {
    return absl::InvalidArgumentError("hello.executors: name at least one executor");
  }
  if (hello.incarnation == 0) {
    return absl::InvalidArgumentError("hello.incarnation: must not be 0");
  }
  uint32_t index;
  const auto known = worker_index_.find(hello.worker_id);
  if (known == worker_index_.end()) {
    index = static_cast<uint32_t>(workers_.size());
    workers_.emplace_back();
    worker_index_.emplace(hello.worker_id, index);
  } else {
    index = known->second;
    const SessionId old = workers_[index].session;
    if (old != 0) {
      Session* previous = FindSession(old);
      if (previous != nullptr) ReleaseLeases(*previous, "replaced by a new session", false);
      sessions_.erase(old);
      hungry_.erase(old);
      Outbox closing;
      closing.close = true;
      closing.close_status = absl::AbortedError(absl::StrCat(
          "worker ", hello.worker_id, " opened a new session (incarnation ", hello.incarnation,
          "); this one is stale"));
      closed_outboxes_.emplace_back(old, std::move(closing));
      dirty_.push_back(old);
    }
  }
  const int64_t now_wall = clock_->WallNs();
  WorkerRecord& record = workers_[index];
  record.hello = hello;
  record.state = WorkerState::kConnected;
  record.connected_wall_ns = now_wall;
  record.last_seen_wall_ns = now_wall;
  const SessionId id = next_session_id_++;
  record.session = id;
  ++record.sessions;
  Session& session = sessions_[id];
  session.id = id;
  session.worker = index;
  session.slots = hello.slots;
  session.threads = hello.threads;
  session.processes = hello.processes;
  session.last_seen_mono_ns = clock_->MonoNs();
  Dispatch();  // leases released from a replaced session may go out now
  return id;
}

void Scheduler::CloseSession(SessionId id) { CloseSessionFor(id, false); }

void Scheduler::CloseSessionFor(SessionId id, bool expired) {
  Session* session = FindSession(id);
  if (session == nullptr) return;
  ReleaseLeases(*session, expired ? "no heartbeat within the lease timeout" : "worker session ended",
                expired);
  WorkerRecord& record = workers_[session->worker];
  if (record.session == id) {
    record.session = 0;
    record.state = WorkerState::kDisconnected;
  }
  hungry_.erase(id);
  sessions_.erase(id);
  Dispatch();
}

absl::Status Scheduler::Touch(SessionId id) {
  Session* session = FindSession(id);
  if (session == nullptr) return absl::AbortedError("session is closed or was replaced");
  session->last_seen_mono_ns = clock_->MonoNs();
  workers_[session->worker].last_seen_wall_ns = clock_->WallNs();
  return absl::OkStatus();
}

absl::Status Scheduler::AddCredits(SessionId id, int64_t credits) {
  if (absl::Status alive = Touch(id); !alive.ok()) return alive;
  if (credits < 0 || credits > 1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("credit.credits: must be between 0 and 1000000, got ", credits));
  }
  Session& session = sessions_[id];
  session.credits += credits;
  if (session.credits > 0 && !session.draining) hungry_.insert(id);
  Dispatch();
  return absl::OkStatus();
}

absl::Status Scheduler::SetDraining(SessionId id) {
  if (absl::Status alive = Touch(id); !alive.ok()) return alive;
  Session& session = sessions_[id];
  if (!session.draining) ++workers_[session.worker].drains;
  session.draining = true;
  hungry_.erase(id);
  workers_[session.worker].state = WorkerState::kDraining;
  return absl::OkStatus();
}

void Scheduler::ExpireSilentSessions() {
  const int64_t cutoff = clock_->MonoNs() - options_.lease_timeout_ns;
  std::vector<SessionId> silent;
  for (const auto& [id, session] : sessions_) {
    if (session.last_seen_mono_ns < cutoff) silent.push_back(id);
  }
  for (SessionId id : silent) {
    Outbox closing;
    closing.close = true;
    closing.close_status = absl::UnavailableError("no heartbeat within the lease timeout");
    ++workers_[sessions_[id].worker].lease_expiries;
    CloseSessionFor(id, true);
    closed_outboxes_.emplace_back(id, std::move(closing));
    dirty_.push_back(id);
  }
  Dispatch();  // also the periodic chance for straggler backups
}

}  // namespace tminus
