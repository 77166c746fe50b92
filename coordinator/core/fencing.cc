// Fencing: which session may report which attempt. The core knows every
// live lease, (job, chunk, attempt) -> session; a result counts, or fails
// anything, only through that map, or as a late result of one of the cases
// below. Anything else (a hand-made session reporting chunks it was never
// given) is dropped and counted, and a session that keeps at it is ended.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/text.h"
#include "coordinator/core/scheduler.h"

namespace tminus {

Scheduler::Standing Scheduler::TakeStanding(Session& session, Job& job, const ChunkReport& result,
                                            int64_t now) {
  // The sender holds this attempt if its primary or its backup lease matches.
  bool holder = false;
  for (auto* leases : {&job.leases(), &job.backups()}) {
    auto lease = leases->find(result.chunk);
    if (lease != leases->end() && lease->second.session == session.id &&
        lease->second.attempt == result.attempt) {
      leases->erase(lease);
      LeaseEnded(job, session.id);
      holder = true;
    }
  }
  if (holder) {
    session.leases.erase({job.id(), result.chunk});
    return Standing::kHolder;
  }
  // Held by an earlier session of the same worker, which ended before the
  // result came (the worker resends unacknowledged results on reconnect).
  if (workers_[session.worker].released.Take({job.id(), result.chunk, result.attempt})) {
    return Standing::kLate;
  }
  // A result the coordinator already applied, sent again (its Ack was lost
  // with the stream, or a backup won the race): a duplicate, as before.
  if (job.done().Contains(result.chunk) && job.WasLeasedTo(session.worker)) {
    return Standing::kLate;
  }
  // Leased by the process before a restart: those leases were not saved, so
  // for a while after the restart any session may report them.
  if (job.restored() && now < restore_grace_until_ns_) return Standing::kLate;
  return Standing::kUnleased;
}

bool Scheduler::DropUnleased(Session& session, const ChunkReport& result, bool harmless,
                             const char* why) {
  ++counters_.results_unleased;
  if (harmless) return true;
  ++session.unleased_results;
  // One line for the first, one for the last: a flood must not flood the log.
  const bool first = session.unleased_results == 1;
  const bool last = session.unleased_results > options_.max_unleased_results;
  if (first || last) {
    Logger("scheduler")->warn(
        "session={} worker={} job={} chunk={} attempt={} result dropped: {}{}", session.id,
        EscapeForLog(session.identity.worker_id), result.job, result.chunk, result.attempt, why,
        last ? absl::StrCat("; ", session.unleased_results, " such results: session ended")
             : "");
  }
  return !last;
}

}  // namespace tminus
