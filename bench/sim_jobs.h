// Finished jobs made with the scheduling core alone (no gRPC, no threads):
// for the benchmarks of what finished jobs cost (memory, the state store).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "coordinator/core/scheduler.h"

namespace tminus::bench {

// Answers every lease in the outboxes at once, as a worker of `slots` slots
// would (chunk c on slot c % slots, ending at `end_mono_ns` on its clock);
// returns how many. The fake worker of
// the core's benchmarks, written once.
inline int64_t AnswerLeases(Scheduler& scheduler, int32_t slots = 2, int64_t end_mono_ns = 1'000) {
  std::vector<std::pair<SessionId, std::vector<ChunkReport>>> replies;
  scheduler.DrainOutboxes([&](SessionId id, Outbox outbox) {
    std::vector<ChunkReport> results;
    results.reserve(outbox.leases.size());
    for (const LeaseGrant& lease : outbox.leases) {
      ChunkReport r;
      r.job = lease.job;
      r.chunk = lease.chunk;
      r.attempt = lease.attempt;
      r.decrements = lease.count;
      r.end_mono_ns = end_mono_ns;
      r.slot = static_cast<int32_t>(lease.chunk % slots);
      results.push_back(r);
    }
    replies.emplace_back(id, std::move(results));
  });
  int64_t answered = 0;
  for (auto& [id, results] : replies) {
    answered += static_cast<int64_t>(results.size());
    (void)scheduler.OnResults(id, results);
    (void)scheduler.AddCredits(id, static_cast<int64_t>(results.size()));
  }
  return answered;
}

// Runs `jobs` jobs of 4 chunks to their end on one simulated 2-slot worker,
// each with a 36-byte request id as clients send.
inline void RunFinishedJobs(Scheduler& scheduler, int64_t jobs) {
  WorkerHello hello{{"bench-worker", 1, "bench-host", 2, true, true, "0", {}, {}}, {}};
  const SessionId session = *scheduler.OpenSession(hello);
  (void)scheduler.AddCredits(session, 4);
  JobSpec spec;
  spec.n = 4'000;
  spec.chunk_count = 4;
  spec.executor = ExecutorKind::kThreads;
  spec.name = "a job with a name";
  for (int64_t i = 0; i < jobs; ++i) {
    (void)scheduler.Submit(spec, absl::StrFormat("%08x-0000-4000-8000-%012x", i, i));
    while (AnswerLeases(scheduler) > 0) {
    }
  }
}

}  // namespace tminus::bench
