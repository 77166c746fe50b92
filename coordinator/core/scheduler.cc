#include "coordinator/core/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/text.h"

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
  RETURN_IF_ERROR(ValidateJobSpec(spec));
  if (ActiveJobs() >= options_.max_active_jobs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "jobs: at most ", options_.max_active_jobs,
        " jobs queued or running at once; wait for some to finish"));
  }
  const JobId id = next_job_id_++;
  auto job = std::make_unique<Job>(id, spec, clock_->MonoNs(), clock_->WallNs());
  job->set_request_id(request_id);
  dirty_jobs_.insert(id);
  active_.insert(id);
  if (spec.time_limit_ms > 0) time_limited_.insert(id);
  if (!request_id.empty()) request_ids_.emplace(request_id, id);
  if (options_.hold_until_saved) {
    job->set_held(true);
    held_new_.push_back(id);
    jobs_.emplace(id, std::move(job));
    return id;
  }
  ++counters_.jobs_submitted;
  queued_.insert({-spec.priority, id});
  ++queue_epoch_;
  jobs_.emplace(id, std::move(job));
  Dispatch();
  return id;
}

std::vector<JobId> Scheduler::TakeHeldJobs() { return std::exchange(held_new_, {}); }

void Scheduler::ReleaseSaved(const std::vector<JobId>& ids) {
  for (JobId id : ids) {
    Job* job = FindJob(id);
    if (job == nullptr || !job->held()) continue;
    job->set_held(false);
    ++counters_.jobs_submitted;
    MarkQueued(*job);
  }
  Dispatch();
}

void Scheduler::DropUnsaved(JobId id) {
  const auto it = jobs_.find(id);
  if (it == jobs_.end() || !it->second->held()) return;
  if (it->second->terminal()) --terminal_jobs_;  // cancelled before it was saved
  if (!it->second->request_id().empty()) request_ids_.erase(it->second->request_id());
  dirty_jobs_.erase(id);
  active_.erase(id);
  time_limited_.erase(id);
  final_snapshots_.erase(std::remove_if(final_snapshots_.begin(), final_snapshots_.end(),
                                        [id](const JobSnapshot& s) { return s.id == id; }),
                         final_snapshots_.end());
  jobs_.erase(it);
}

void Scheduler::SetDispatchPaused(bool paused) {
  dispatch_paused_ = paused;
  if (!paused) Dispatch();
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

namespace {

absl::Status ValidateTopology(const Topology& topology) {
  constexpr int32_t kMaxCpus = 1 << 20;
  for (const auto& [name, value] :
       {std::pair<const char*, int32_t>{"logical_cpus", topology.logical_cpus},
        {"physical_cores", topology.physical_cores},
        {"sockets", topology.sockets},
        {"numa_nodes", topology.numa_nodes}}) {
    if (value < 0 || value > kMaxCpus) {
      return absl::InvalidArgumentError(absl::StrCat("hello.topology.", name,
                                                     ": must be between 0 and ", kMaxCpus,
                                                     ", got ", value));
    }
  }
  return CheckLabel("cpu_model", topology.cpu_model, "hello.topology");
}

absl::Status ValidateHello(const WorkerHello& hello) {
  if (absl::Status s =
          CheckVisibleAscii(hello.worker_id, "hello.worker_id", 1, kMaxWorkerIdBytes);
      !s.ok()) {
    return s;
  }
  RETURN_IF_ERROR(CheckVisibleAscii(hello.host, "hello.host", 1, kMaxHostBytes));
  RETURN_IF_ERROR(CheckVisibleAscii(hello.version, "hello.version", 0, kMaxVersionBytes));
  if (hello.slots < 1 || hello.slots > kMaxWorkerSlots) {
    return absl::InvalidArgumentError(absl::StrCat("hello.slots: must be between 1 and ",
                                                   kMaxWorkerSlots, ", got ", hello.slots));
  }
  if (!hello.threads && !hello.processes) {
    return absl::InvalidArgumentError("hello.executors: name at least one executor");
  }
  if (hello.incarnation == 0) {
    return absl::InvalidArgumentError("hello.incarnation: must not be 0");
  }
  RETURN_IF_ERROR(CheckLabels(hello.labels, "hello.labels", kMaxWorkerLabels));
  RETURN_IF_ERROR(ValidateTopology(hello.topology));
  return ValidateCalibration(hello.calibration, "hello.calibration");
}

}  // namespace

uint32_t Scheduler::RecordFor(const std::string& worker_id) {
  const auto known = worker_index_.find(worker_id);
  if (known != worker_index_.end()) return known->second;
  const uint32_t key = next_worker_key_++;
  WorkerRecord& record = workers_[key];
  record.hello.worker_id = worker_id;
  record.state = WorkerState::kDisconnected;
  worker_index_.emplace(worker_id, key);
  return key;
}

WorkerIdentityView Scheduler::IdentityOf(uint32_t worker) const {
  const WorkerHello& hello = workers_.at(worker).hello;
  return WorkerIdentityView{hello.worker_id, hello.host, hello.slots};
}

absl::StatusOr<SessionId> Scheduler::OpenSession(const WorkerHello& hello) {
  RETURN_IF_ERROR(ValidateHello(hello));
  if (shutting_down_) {
    return absl::UnavailableError("coordinator is shutting down; reconnect to the next one");
  }
  const int64_t now_mono = clock_->MonoNs();
  const uint32_t key = RecordFor(hello.worker_id);
  WorkerRecord& record = workers_[key];
  if (record.session != 0) {
    const Session* live = FindSession(record.session);
    const bool same_process = record.hello.incarnation == hello.incarnation;
    const int64_t silent_ns = live == nullptr ? options_.lease_timeout_ns + 1
                                              : now_mono - live->last_seen_mono_ns;
    if (!same_process && silent_ns <= options_.lease_timeout_ns) {
      return absl::AlreadyExistsError(absl::StrCat(
          "hello.worker_id: worker '", hello.worker_id, "' is already connected from host ",
          record.hello.host, " (incarnation ", record.hello.incarnation, ", heard from ",
          silent_ns / 1'000'000, " ms ago); give every worker its own --name (a restarted "
          "worker takes the name over once the old one is gone, or silent for ",
          options_.lease_timeout_ns / 1'000'000'000.0, " s)"));
    }
    CloseReplaced(record.session, hello, same_process);
  }
  const int64_t now_wall = clock_->WallNs();
  const bool new_process = record.hello.incarnation != hello.incarnation;
  record.hello = hello;
  record.hello.kernels |= KernelBit(KernelKind::kCountdown);  // always, whatever it said
  if (new_process) {  // measured by another process
    record.calibration = Calibration{};
    record.usage = ProcessUsage{};
    record.usage_reported = false;
    record.cpu_cores = 0;
  }
  record.state = record.drained ? WorkerState::kDrained : WorkerState::kConnected;
  record.connected_wall_ns = now_wall;
  record.last_seen_wall_ns = now_wall;
  const SessionId id = next_session_id_++;
  record.session = id;
  ++record.sessions;
  ++counters_.sessions_opened;
  Session& session = sessions_[id];
  session.id = id;
  session.worker = key;
  session.identity = hello;
  session.identity.kernels |= KernelBit(KernelKind::kCountdown);
  session.drained = record.drained;
  session.last_seen_mono_ns = now_mono;
  KeepCalibration(record, session, hello.calibration);
  ++sessions_epoch_;
  Dispatch();  // leases released from a replaced session may go out now
  return id;
}

void Scheduler::CloseReplaced(SessionId old, const WorkerHello& hello, bool same_process) {
  if (Session* previous = FindSession(old)) {
    ReleaseLeases(*previous, "replaced by a new session", false);
  }
  sessions_.erase(old);
  hungry_.erase(old);
  parked_.erase(old);
  ++sessions_epoch_;
  ++counters_.sessions_ended;
  Outbox closing;
  closing.close = true;
  closing.close_status = absl::AbortedError(
      same_process ? absl::StrCat("worker ", hello.worker_id, " opened a new session; this one is stale")
                   : absl::StrCat("worker name ", hello.worker_id, " was taken over by incarnation ",
                                  hello.incarnation, " on host ", hello.host,
                                  " after this one went silent"));
  closed_outboxes_.emplace_back(old, std::move(closing));
  dirty_.push_back(old);
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
  parked_.erase(id);
  sessions_.erase(id);
  ++sessions_epoch_;
  ++counters_.sessions_ended;
  Dispatch();
}

absl::Status Scheduler::Touch(SessionId id) {
  Session* session = FindSession(id);
  if (session == nullptr) {
    return absl::UnavailableError("this session was closed (silent past the lease timeout, or "
                                  "replaced); reconnect");
  }
  session->last_seen_mono_ns = clock_->MonoNs();
  workers_[session->worker].last_seen_wall_ns = clock_->WallNs();
  return absl::OkStatus();
}

absl::Status Scheduler::AddCredits(SessionId id, int64_t credits) {
  RETURN_IF_ERROR(Touch(id));
  if (credits < 0 || credits > 1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("credit.credits: must be between 0 and 1000000, got ", credits));
  }
  Session& session = sessions_[id];
  session.credits += credits;
  if (session.credits > 0 && session.takes_leases()) {
    hungry_.insert(id);
    parked_.erase(id);  // its own leases ended: a per-worker cap may allow more
  }
  Dispatch();
  return absl::OkStatus();
}

absl::StatusOr<WorkerView> Scheduler::SetDrained(const std::string& worker_id, bool drained) {
  // Only a name a worker could have: the error then never echoes a huge or
  // hostile string (a status message travels in a size-limited header).
  RETURN_IF_ERROR(CheckVisibleAscii(worker_id, "worker_id", 1, kMaxWorkerIdBytes));
  const auto key = worker_index_.find(worker_id);
  if (key == worker_index_.end()) {
    return absl::NotFoundError(absl::StrCat("worker '", worker_id,
                                            "' not found (see `tminus workers`)"));
  }
  WorkerRecord& record = workers_[key->second];
  record.drained = drained;
  if (record.state == WorkerState::kConnected || record.state == WorkerState::kDrained) {
    record.state = drained ? WorkerState::kDrained : WorkerState::kConnected;
  }
  if (Session* session = FindSession(record.session); session != nullptr) {
    session->drained = drained;
    ++sessions_epoch_;
    if (drained) {
      hungry_.erase(session->id);
      parked_.erase(session->id);
      OutboxOf(*session).drain = true;  // its queued leases come back as handed back
    } else if (session->credits > 0 && session->takes_leases()) {
      hungry_.insert(session->id);
      Dispatch();
    }
  }
  Logger("scheduler")->info("worker={} {}", worker_id, drained ? "drained" : "undrained");
  for (const WorkerView& view : ListWorkers()) {
    if (view.worker_id == worker_id) return view;
  }
  return absl::InternalError("drained worker has no view");
}

absl::Status Scheduler::SetDraining(SessionId id) {
  RETURN_IF_ERROR(Touch(id));
  Session& session = sessions_[id];
  if (!session.draining) ++workers_[session.worker].drains;
  session.draining = true;
  hungry_.erase(id);
  parked_.erase(id);
  ++sessions_epoch_;
  workers_[session.worker].state = WorkerState::kDraining;
  return absl::OkStatus();
}

void Scheduler::BeginShutdown() {
  shutting_down_ = true;
  hungry_.clear();
  parked_.clear();
}

void Scheduler::ExpireSilentSessions() {
  // Stopping: a worker that falls silent now is waiting for the next
  // coordinator, not lost.
  if (shutting_down_) return;
  const int64_t now = clock_->MonoNs();
  const int64_t gap = last_expiry_check_ns_ == 0 ? 0 : now - last_expiry_check_ns_;
  last_expiry_check_ns_ = now;
  if (gap > 2 * options_.housekeeping_interval_ns) {
    // The coordinator itself did not run (stopped, paused, swapped out): no
    // worker could have been heard meanwhile. Blame none of them: every
    // session gets a fresh lease timeout from now.
    for (auto& [id, session] : sessions_) session.last_seen_mono_ns = now;
    ++stalls_;
    Logger("scheduler")->warn("coordinator stalled for {} ms; workers get a fresh lease timeout",
                              gap / 1'000'000);
  }
  const int64_t cutoff = now - options_.lease_timeout_ns;
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
  ForgetGoneWorkers();
  EnforceTimeLimits();
  ForgetOldJobs();
  Dispatch();  // also the periodic chance for straggler backups
}

void Scheduler::EnforceTimeLimits() {
  // The monotonic clock: a wall clock step (NTP, a VM resumed) cancels nothing.
  const int64_t now = clock_->MonoNs();
  std::vector<Job*> late;
  for (JobId id : time_limited_) {
    Job* job = FindJob(id);
    if (job == nullptr || job->start_wall_ns() == 0) continue;  // not started: not counting
    const int64_t limit_ns = job->spec().time_limit_ms * 1'000'000;
    if (now - job->start_mono_ns() > limit_ns) late.push_back(job);
  }
  for (Job* job : late) {
    FinishJob(*job, JobState::kCancelled,
              absl::StrCat("time limit of ",
                           absl::FormatDuration(absl::Milliseconds(job->spec().time_limit_ms)),
                           " passed (--time-limit)"));
  }
}

void Scheduler::Retain(const Job& job) {
  if (options_.retain_jobs == 0 && options_.retain_for_ns == 0) return;
  const std::pair<int64_t, JobId> entry{job.end_wall_ns(), job.id()};
  // Restored jobs arrive in id order, not in end order: keep the deque sorted.
  retained_.insert(std::upper_bound(retained_.begin(), retained_.end(), entry), entry);
}

void Scheduler::ForgetOldJobs() {
  const int64_t cutoff =
      options_.retain_for_ns > 0 ? clock_->WallNs() - options_.retain_for_ns : INT64_MIN;
  while (!retained_.empty()) {
    const auto [ended, id] = retained_.front();
    const bool too_many = options_.retain_jobs > 0 &&
                          static_cast<int64_t>(retained_.size()) > options_.retain_jobs;
    if (!too_many && ended >= cutoff) break;
    retained_.pop_front();
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    if (!it->second->request_id().empty()) request_ids_.erase(it->second->request_id());
    dirty_jobs_.erase(id);
    jobs_.erase(it);
    --terminal_jobs_;
    forgotten_.push_back(id);
  }
}

std::vector<JobId> Scheduler::TakeForgottenJobs() { return std::exchange(forgotten_, {}); }

void Scheduler::DropPendingSaves() {
  dirty_jobs_.clear();
  final_snapshots_.clear();
  forgotten_.clear();
}

void Scheduler::ForgetGoneWorkers() {
  const int64_t cutoff = clock_->WallNs() - options_.forget_workers_after_ns;
  for (auto it = workers_.begin(); it != workers_.end();) {
    const WorkerRecord& record = it->second;
    // A drained worker is kept: the drain must hold when it comes back.
    if (record.session == 0 && !record.drained && record.last_seen_wall_ns < cutoff) {
      worker_index_.erase(record.hello.worker_id);
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

absl::Status Scheduler::CheckInvariants() const {
  for (const auto& [id, session] : sessions_) {
    for (const auto& [job_id, chunk] : session.leases) {
      const Job* job = FindJob(job_id);
      if (job == nullptr || job->compacted()) {
        return absl::InternalError(absl::StrCat("session ", id, " holds chunk ", chunk,
                                                " of job ", job_id, ", which has no leases"));
      }
      bool found = false;
      for (const auto* held : {&job->leases(), &job->backups()}) {
        const auto lease = held->find(chunk);
        found |= lease != held->end() && lease->second.session == id;
      }
      if (!found) {
        return absl::InternalError(absl::StrCat("session ", id, " holds chunk ", chunk, " of job ",
                                                job_id, " but the job has no such lease"));
      }
    }
    if (session.credits < 0) return absl::InternalError(absl::StrCat("session ", id, " credits < 0"));
  }
  for (const auto& [job_id, job] : jobs_) {
    if (job->compacted()) continue;
    for (const auto* held : {&job->leases(), &job->backups()}) {
      for (const auto& [chunk, lease] : *held) {
        const auto session = sessions_.find(lease.session);
        if (session == sessions_.end() || !session->second.leases.contains({job_id, chunk})) {
          return absl::InternalError(absl::StrCat("job ", job_id, " chunk ", chunk,
                                                  " is leased to session ", lease.session,
                                                  ", which does not hold it"));
        }
      }
    }
    if (job->holders_total() != static_cast<int64_t>(job->leases().size() + job->backups().size())) {
      return absl::InternalError(absl::StrCat("job ", job_id, " counts ", job->holders_total(),
                                              " leases by session but holds ", job->running()));
    }
    if (job->spec().max_slots > 0 && job->running_bound() > job->spec().max_slots) {
      return absl::InternalError(absl::StrCat("job ", job_id, " may run ", job->running_bound(),
                                              " chunks at once, past max_slots"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tminus
