// Dispatch policy: pull with credits. Each session grants credits (slots plus
// a prefetch); the scheduler spends them on the queued jobs in priority order.
// Idle slots are filled before prefetch, so in a job's tail an idle worker
// gets the last chunks rather than a busy worker's queue.
//
// Placement: a session takes only the jobs that fit it (executor, selector,
// named workers) within their caps. A session left with credits after both
// passes fits nothing queued: it is parked, and comes back when the queue
// changes or it grants credits again.
#include <algorithm>

#include "coordinator/core/scheduler.h"

namespace tminus {

void Scheduler::Dispatch() {
  if (dispatch_paused_ || shutting_down_) return;
  ReviveUnplaceable();
  if (!parked_.empty() && (parked_epoch_ != queue_epoch_ || queued_.empty())) {
    hungry_.insert(parked_.begin(), parked_.end());
    parked_.clear();
  }
  if (hungry_.empty()) return;
  for (int pass = 0; pass < 2 && !queued_.empty(); ++pass) {
    for (auto it = hungry_.begin(); it != hungry_.end() && !queued_.empty();) {
      Session& session = sessions_[*it];
      int64_t want = session.credits;
      if (pass == 0) {
        const int64_t idle = session.identity.slots - static_cast<int64_t>(session.leases.size());
        want = std::min(want, std::max<int64_t>(idle, 0));
      }
      if (want > 0) AssignTo(session, want);
      it = session.credits == 0 ? hungry_.erase(it) : std::next(it);
    }
  }
  if (!queued_.empty()) {
    // Every session still hungry was offered every queued job in pass 1.
    parked_.insert(hungry_.begin(), hungry_.end());
    hungry_.clear();
    parked_epoch_ = queue_epoch_;
    return;
  }
  // Nothing left to lease: idle slots may take backups of stragglers. The
  // scan walks every lease, so it runs at most every 50 ms.
  const int64_t now = clock_->MonoNs();
  if (now - last_backup_scan_ns_ < 50'000'000) return;
  last_backup_scan_ns_ = now;
  for (auto it = hungry_.begin(); it != hungry_.end();) {
    Session& session = sessions_[*it];
    const int64_t idle = session.identity.slots - static_cast<int64_t>(session.leases.size());
    if (idle > 0) AssignBackups(session, std::min(idle, session.credits));
    it = session.credits == 0 ? hungry_.erase(it) : std::next(it);
  }
}

int64_t Scheduler::StragglerAfterNs(const Job& job, int64_t chunk) const {
  // Expected duration: the job's median chunk once one finished, else this
  // chunk's size at the cluster's recent countdown rate (so a job of one or
  // two chunks gets backups too); unknown before the cluster finished any
  // chunk, and for a python or command job before one of its own did.
  double expected = 0;
  if (job.stats().durations().count() > 0) {
    expected = static_cast<double>(job.stats().durations().Quantile(0.5));
  } else if (ns_per_decrement_ > 0 && job.spec().kernel == nullptr) {
    expected = ns_per_decrement_ * static_cast<double>(job.plan().Chunk(chunk).count);
  } else {
    return 0;
  }
  return std::max<int64_t>(options_.straggler_min_ns,
                           static_cast<int64_t>(expected * options_.straggler_factor));
}

void Scheduler::AssignBackups(Session& session, int64_t want) {
  const int64_t now = clock_->MonoNs();
  for (JobId id : active_) {
    Job& job = *jobs_[id];
    if (want == 0) return;
    if (job.terminal() || job.held() || job.leases().empty() || !Fits(job, session)) {
      continue;
    }
    for (const auto& [chunk, lease] : job.leases()) {
      if (want == 0 || !job.MayLeaseTo(session.id, session.identity.slots)) break;
      if (lease.session == session.id || job.backups().contains(chunk)) continue;
      const int64_t threshold = StragglerAfterNs(job, chunk);
      if (threshold == 0 || now - lease.dispatch_mono_ns < threshold) continue;
      const ChunkRange range = job.plan().Chunk(chunk);
      const int32_t attempt = lease.attempt + 1;
      job.backups()[chunk] = ActiveLease{session.id, attempt, now};
      session.leases.insert({job.id(), chunk});
      job.AddHolder(session.id, session.identity.slots, session.worker);
      --session.credits;
      --want;
      ++job.stats().counters.backups;
      ++counters_.backups;
      ++counters_.leases_granted;
      dirty_jobs_.insert(job.id());
      SendLease(job, session, LeaseGrant{job.id(), chunk, attempt, range.begin, range.count,
                                         job.spec().executor, job.MaxRunningPerWorker(),
                                         job.spec().kernel_kind()});
    }
  }
}

void Scheduler::AssignTo(Session& session, int64_t want) {
  const int64_t now = clock_->MonoNs();
  for (auto it = queued_.begin(); it != queued_.end() && want > 0;) {
    Job& job = *jobs_[it->second];
    if (!Fits(job, session)) {
      if (FitsAnySession(job)) {
        ++it;
      } else {
        unplaceable_epoch_ = sessions_epoch_;
        unplaceable_.insert(*it);
        it = queued_.erase(it);
      }
      continue;
    }
    while (want > 0 && job.HasQueuedChunk() && job.MayLeaseTo(session.id, session.identity.slots)) {
      Lease(job, session, now);
      --want;
    }
    // A job leaves the queue when it has nothing left to lease; it comes back
    // when a chunk is requeued (MarkQueued).
    it = job.HasQueuedChunk() ? std::next(it) : queued_.erase(it);
  }
}

void Scheduler::Lease(Job& job, Session& session, int64_t now) {
  const auto [chunk, attempt] = job.TakeChunk();
  const ChunkRange range = job.plan().Chunk(chunk);
  if (job.state() == JobState::kQueued) {
    job.MarkStarted(now, clock_->WallNs());
    dirty_jobs_.insert(job.id());
  }
  job.leases()[chunk] = ActiveLease{session.id, attempt, now};
  job.AddHolder(session.id, session.identity.slots, session.worker);
  session.leases.insert({job.id(), chunk});
  --session.credits;
  ++counters_.leases_granted;
  SendLease(job, session, LeaseGrant{job.id(), chunk, attempt, range.begin, range.count,
                                     job.spec().executor, job.MaxRunningPerWorker(),
                                     job.spec().kernel_kind()});
}

void Scheduler::SendLease(Job& job, Session& session, const LeaseGrant& lease) {
  Outbox& outbox = OutboxOf(session);
  // The kernel's definition goes once per session, before its first lease.
  if (job.spec().kernel != nullptr && job.kernel_sent().insert(session.id).second) {
    outbox.kernels.push_back(KernelGrant{job.id(), job.spec().kernel});
  }
  outbox.leases.push_back(lease);
}

void Scheduler::ForgetKernel(Job& job) {
  if (job.compacted()) return;
  for (SessionId id : job.kernel_sent()) {
    if (Session* session = FindSession(id)) OutboxOf(*session).forget.push_back(job.id());
  }
  job.kernel_sent().clear();
}

void Scheduler::MarkQueued(Job& job) {
  if (job.terminal() || !job.HasQueuedChunk()) return;
  const std::pair<int32_t, JobId> key{-job.spec().priority, job.id()};
  if (unplaceable_.count(key) > 0) return;  // comes back with the next session change
  queued_.insert(key);
  ++queue_epoch_;
}

bool Scheduler::FitsAnySession(const Job& job) const {
  Job::PlaceableCache& cache = job.placeable_cache();
  if (cache.epoch == sessions_epoch_ + 1) return cache.any;  // + 1: 0 is "never asked"
  cache.epoch = sessions_epoch_ + 1;
  cache.any = false;
  for (const auto& [id, session] : sessions_) {
    if (session.takes_leases() && Fits(job, session)) {
      cache.any = true;
      break;
    }
  }
  return cache.any;
}

void Scheduler::ReviveUnplaceable() {
  if (unplaceable_.empty() || unplaceable_epoch_ == sessions_epoch_) return;
  queued_.insert(unplaceable_.begin(), unplaceable_.end());
  unplaceable_.clear();
  ++queue_epoch_;
}

void Scheduler::LeaseEnded(Job& job, SessionId session) {
  job.RemoveHolder(session);
  if (job.spec().max_slots > 0 || job.spec().max_slots_per_worker > 0) ++queue_epoch_;
}

bool Scheduler::Fits(const Job& job, const Session& session) const {
  const WorkerIdentity& worker = session.identity;
  if (!worker.Supports(job.spec().executor) || !worker.Allows(job.spec().kernel_kind())) {
    return false;
  }
  if (!job.spec().placed()) return true;
  return job.AllowsWorker(session.identity.worker_id) &&
         SelectorMatches(job.spec().selector, session.identity.labels);
}

}  // namespace tminus
