// Results, failures, lost leases and the end of a job.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/text.h"
#include "coordinator/core/scheduler.h"

namespace tminus {
namespace {

constexpr size_t kMaxErrorBytes = 4096;
// Clock readings beyond this (146 years of nanoseconds) are no clock's:
// below it, sums and differences of two readings cannot overflow.
constexpr int64_t kMaxClockNs = int64_t{1} << 62;

// OK, or INVALID_ARGUMENT naming the result and its field.
absl::Status ValidateReport(const ChunkReport& r, size_t index) {
  auto bad = [index](const char* field, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("results[", index, "].", field, ": ", why));
  };
  if (r.attempt < 1) return bad("attempt", absl::StrCat("must be >= 1, got ", r.attempt));
  if (r.decrements < 0) return bad("decrements", absl::StrCat("must be >= 0, got ", r.decrements));
  if (r.start_mono_ns < 0 || r.start_mono_ns > kMaxClockNs) {
    return bad("start_mono_ns", absl::StrCat("must be between 0 and 2^62, got ", r.start_mono_ns));
  }
  if (r.end_mono_ns < r.start_mono_ns) return bad("end_mono_ns", "must not be before start_mono_ns");
  if (r.end_mono_ns > kMaxClockNs) {
    return bad("end_mono_ns", absl::StrCat("must be at most 2^62, got ", r.end_mono_ns));
  }
  if (r.start_wall_ns < 0 || r.start_wall_ns > kMaxClockNs) {
    return bad("start_wall_ns", absl::StrCat("must be between 0 and 2^62, got ", r.start_wall_ns));
  }
  if (r.cpu_ns < 0) return bad("cpu_ns", absl::StrCat("must be >= 0, got ", r.cpu_ns));
  if (r.kernel_ns < 0) {
    return bad("kernel_ns", absl::StrCat("must be >= 0, got ", r.kernel_ns));
  }
  if (r.slot < 0 || r.slot >= kMaxWorkerSlots) {
    return bad("slot", absl::StrCat("must be between 0 and ", kMaxWorkerSlots - 1, ", got ", r.slot));
  }
  if (r.error.size() > kMaxErrorBytes) {
    return bad("error", absl::StrCat("at most ", kMaxErrorBytes, " bytes, got ", r.error.size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Scheduler::OnResults(SessionId id, const std::vector<ChunkReport>& results) {
  RETURN_IF_ERROR(Touch(id));
  for (size_t i = 0; i < results.size(); ++i) {
    RETURN_IF_ERROR(ValidateReport(results[i], i));
  }
  Session& session = sessions_[id];
  const int64_t now = clock_->MonoNs();
  const int64_t now_wall = clock_->WallNs();  // once per batch, as the mono clock
  for (const ChunkReport& result : results) {
    if (!ApplyResult(session, result, now, now_wall)) {
      Dispatch();
      return absl::PermissionDeniedError(absl::StrCat(
          "results: ", session.unleased_results, " results for chunks this session was not "
          "leased (at most ", options_.max_unleased_results, "); is another process using "
          "this worker's name or token?"));
    }
  }
  Dispatch();
  return absl::OkStatus();
}

bool Scheduler::ApplyResult(Session& session, const ChunkReport& result, int64_t now,
                            int64_t now_wall) {
  Job* job = FindJob(result.job);
  if (job == nullptr || result.chunk < 0 || result.chunk >= job->plan().chunk_count()) {
    // A job forgotten (past --retain) may still get a late result; one
    // never submitted, or a chunk past its end, cannot.
    const bool forgotten = job == nullptr && result.job != 0 && result.job < next_job_id_;
    return DropUnleased(session, result, forgotten, "no such chunk");
  }
  if (job->terminal()) return true;  // e.g. the tail of a cancelled job
  const Standing standing = TakeStanding(session, *job, result, now);
  const bool duplicate = job->done().Contains(result.chunk);
  if (standing == Standing::kUnleased) {
    return DropUnleased(session, result, duplicate || job->restored(), "not leased to it");
  }
  const bool holder = standing == Standing::kHolder;
  RecordEvent(*job, session, result, duplicate, now_wall);
  if (duplicate) {
    ++job->stats().counters.duplicates;
    ++counters_.duplicates;
    dirty_jobs_.insert(job->id());
    return true;
  }
  switch (result.outcome) {
    case ChunkOutcome::kOk: {
      const int64_t expected = job->plan().Chunk(result.chunk).count;
      if (result.decrements != expected) {
        // A late one changes nothing: its lease's end was already counted.
        if (holder) {
          FailAttempt(*job, result.chunk, result.attempt, WorkerIdOf(session),
                      absl::StrCat("reported ", result.decrements, " decrements for a chunk of ",
                                   expected));
        }
        return true;
      }
      Accept(*job, session, result, now);
      return true;
    }
    case ChunkOutcome::kCancelled:
      // Handed back unfinished (the worker is draining, or a backup lost
      // the race): not a failure. Requeued unless another attempt runs.
      if (holder && !job->leases().contains(result.chunk) &&
          !job->backups().contains(result.chunk)) {
        ++job->stats().counters.handed_back;
        ++counters_.handed_back;
        dirty_jobs_.insert(job->id());
        job->Requeue(result.chunk, result.attempt);
        MarkQueued(*job);
      }
      return true;
    case ChunkOutcome::kFailed:
      // A late failure from a lease that was already released changes nothing.
      if (holder) {
        FailAttempt(*job, result.chunk, result.attempt, WorkerIdOf(session), result.error);
      }
      return true;
  }
  return true;
}

void Scheduler::Accept(Job& job, Session& session, const ChunkReport& result, int64_t now) {
  const int64_t duration = result.end_mono_ns - result.start_mono_ns;
  // Workers before 0.3 do not report kernel time: their chunk's duration is
  // the closest measure they have.
  const int64_t kernel_ns = result.kernel_ns > 0 ? result.kernel_ns : duration;
  job.MarkDone(result.chunk, result.decrements, now);
  dirty_jobs_.insert(job.id());
  CancelOtherAttempts(job, result.chunk, session.id, result.attempt);
  job.stats().AddAccepted(session.worker, [&] { return IdentityOf(session.worker); }, result.slot,
                          result.decrements, duration, result.cpu_ns, kernel_ns,
                          // The calibration measures the countdown only.
                          job.spec().kernel == nullptr ? session.reference_rate : 0.0);
  ++counters_.chunks_completed;
  counters_.decrements += result.decrements;
  counters_.busy_ns += std::max<int64_t>(duration, 0);
  chunk_durations_.Add(std::max<int64_t>(duration, 0));
  // The countdown's rate, for its stragglers: other kernels' units differ.
  if (result.decrements > 0 && duration > 0 && job.spec().kernel == nullptr) {
    const double rate = static_cast<double>(duration) / static_cast<double>(result.decrements);
    ns_per_decrement_ = ns_per_decrement_ == 0 ? rate : 0.9 * ns_per_decrement_ + 0.1 * rate;
  }
  WorkerRecord& record = workers_[session.worker];
  ++record.chunks_done;
  record.decrements_done += result.decrements;
  record.busy_ns += std::max<int64_t>(duration, 0);
  if (!job.AllChunksDone()) return;
  if (job.decrements_done() != job.spec().n) {
    // Cannot happen while every accepted result is checked against its chunk;
    // refusing success here keeps a bug from reporting a wrong answer.
    const std::string error = absl::StrCat("accounting mismatch: accepted ",
                                           job.decrements_done(), " decrements, n is ",
                                           job.spec().n);
    Logger("scheduler")->error("job={} {}", job.id(), error);
    FinishJob(job, JobState::kFailed, error);
    return;
  }
  FinishJob(job, JobState::kSucceeded, "");
}

void Scheduler::CancelOtherAttempts(Job& job, int64_t chunk, SessionId winner, int32_t attempt) {
  for (auto* leases : {&job.leases(), &job.backups()}) {
    auto other = leases->find(chunk);
    if (other == leases->end()) continue;
    const ActiveLease lease = other->second;
    leases->erase(other);
    LeaseEnded(job, lease.session);
    // The holder's set always loses the chunk, the winner's too: its result
    // may be of an earlier attempt (resent after a reconnect) than the one
    // it now holds. Only the attempt that produced the result needs no stop.
    Session* holder = FindSession(lease.session);
    if (holder == nullptr) continue;
    holder->leases.erase({job.id(), chunk});
    if (lease.session != winner || lease.attempt != attempt) {
      OutboxOf(*holder).cancels.push_back(CancelOrder{job.id(), {chunk}});
    }
  }
}

void Scheduler::FailAttempt(Job& job, int64_t chunk, int32_t attempt,
                            const std::string& worker_id, const std::string& reason) {
  dirty_jobs_.insert(job.id());
  // While the other attempt of a backed-up chunk runs, this is no failure.
  if (job.leases().contains(chunk) || job.backups().contains(chunk)) return;
  const int32_t failures = job.RecordFailure(chunk, worker_id);
  Logger("scheduler")->warn("job={} chunk={} attempt={} worker={} attempt failed: {}", job.id(),
                            chunk, attempt, worker_id, EscapeForLog(reason));
  const int32_t max_attempts =
      job.spec().max_attempts > 0 ? job.spec().max_attempts : options_.max_attempts;
  if (failures >= max_attempts) {
    FinishJob(job, JobState::kFailed,
              absl::StrCat("chunk ", chunk, " failed ", failures, " attempts (on workers ",
                           absl::StrJoin(job.FailedOn(chunk), ", "), "); last error: ", reason));
    return;
  }
  ++job.stats().counters.retries;
  ++counters_.retries;
  job.Requeue(chunk, attempt);
  MarkQueued(job);
}

void Scheduler::ReleaseLeases(Session& session, const std::string& reason, bool expired) {
  WorkerRecord& record = workers_[session.worker];
  const std::string worker_id = record.hello.worker_id;
  const auto leases = std::move(session.leases);
  session.leases.clear();
  // A draining worker closing its stream is a planned stop: whatever it
  // still held (an Assign that crossed its Draining message) is handed back,
  // not failed. So is every session the coordinator's own shutdown ends:
  // the worker is healthy, its chunks run on, and it reports them to the
  // next coordinator; nothing is counted against it.
  const bool stopping = shutting_down_ && !expired;
  const bool planned = (session.draining && !expired) || stopping;
  if (!planned) record.leases_lost += static_cast<int64_t>(leases.size());
  for (const auto& [job_id, chunk] : leases) {
    Job* job = FindJob(job_id);
    if (job == nullptr || job->terminal()) continue;
    int32_t attempt = 0;
    for (auto* held : {&job->leases(), &job->backups()}) {
      auto lease = held->find(chunk);
      if (lease == held->end() || lease->second.session != session.id) continue;
      attempt = lease->second.attempt;
      held->erase(lease);
      LeaseEnded(*job, session.id);
    }
    if (attempt == 0) continue;
    record.released.Add({job_id, chunk, attempt});  // its result may come on a later session
    if (planned) {
      if (!stopping) {
        ++job->stats().counters.handed_back;
        ++counters_.handed_back;
      }
      dirty_jobs_.insert(job->id());
      if (!job->leases().contains(chunk) && !job->backups().contains(chunk)) {
        job->Requeue(chunk, attempt);
        MarkQueued(*job);
      }
      continue;
    }
    if (expired) {
      ++job->stats().counters.lease_expiries;
      ++counters_.lease_expiries;
    }
    FailAttempt(*job, chunk, attempt, worker_id, absl::StrCat("lease lost: ", reason));
  }
}

void Scheduler::FinishJob(Job& job, JobState state, std::string error) {
  ForgetKernel(job);
  // Tell every session still running this job's chunks to stop them.
  absl::flat_hash_set<SessionId> holders;
  for (auto* leases : {&job.leases(), &job.backups()}) {
    for (const auto& [chunk, lease] : *leases) {
      holders.insert(lease.session);
      if (Session* session = FindSession(lease.session)) session->leases.erase({job.id(), chunk});
    }
  }
  for (SessionId holder : holders) {
    if (Session* session = FindSession(holder)) {
      OutboxOf(*session).cancels.push_back(CancelOrder{job.id(), {}});
    }
  }
  queued_.erase({-job.spec().priority, job.id()});
  unplaceable_.erase({-job.spec().priority, job.id()});
  job.Finish(state, std::move(error), clock_->MonoNs(), clock_->WallNs());
  switch (state) {
    case JobState::kSucceeded: ++counters_.jobs_succeeded; break;
    case JobState::kFailed: ++counters_.jobs_failed; break;
    default: ++counters_.jobs_cancelled; break;
  }
  ++terminal_jobs_;
  active_.erase(job.id());
  time_limited_.erase(job.id());
  finished_.push_back(job.id());
  Retain(job);
  Logger("scheduler")->info("job={} state={} decrements={} n={} {}", job.id(),
                            JobStateName(state), job.decrements_done(), job.spec().n,
                            EscapeForLog(job.error()));
  // Its last snapshot is taken now, then only its report is kept (and a
  // sampled timeline, for the most recent kTimelinesKept jobs).
  dirty_jobs_.erase(job.id());
  final_snapshots_.push_back(SnapshotOf(job));
  Compact(job);
}

void Scheduler::Compact(Job& job) {
  JobTimeline timeline = job.timeline().Build(
      job.start_wall_ns(), TimelineRing::kFinishedCapacity,
      [this, &job](uint32_t worker) { return WorkerNameOf(job, worker); });
  job.Compact(ReportOf(job));
  if (timeline.events.empty()) return;
  job.KeepTimeline(std::move(timeline));
  timelines_kept_.push_back(job.id());
  if (timelines_kept_.size() > kTimelinesKept) {
    if (Job* oldest = FindJob(timelines_kept_.front())) oldest->DropTimeline();
    timelines_kept_.pop_front();
  }
}

void Scheduler::RecordEvent(Job& job, const Session& session, const ChunkReport& result,
                            bool duplicate, int64_t received_wall_ns) {
  EventOutcome outcome = EventOutcome::kOk;
  if (duplicate) outcome = EventOutcome::kDuplicate;
  else if (result.outcome == ChunkOutcome::kFailed) outcome = EventOutcome::kFailed;
  else if (result.outcome == ChunkOutcome::kCancelled) outcome = EventOutcome::kCancelled;
  job.timeline().Add(TimelineRing::Event{session.worker, result.slot, result.chunk,
                                         result.attempt, result.start_wall_ns,
                                         result.end_mono_ns - result.start_mono_ns, outcome});
  // Placed by the coordinator's clock (when the result came), so that a
  // worker whose clock is off still shows in the last minute's stream.
  stream_.Add(ClusterStream::Event{job.id(), session.worker, result.slot, result.chunk,
                                   received_wall_ns, result.end_mono_ns - result.start_mono_ns,
                                   outcome});
}

}  // namespace tminus
