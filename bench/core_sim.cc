// Benchmark 6b: the scheduling core alone, no gRPC, no threads: W simulated
// workers (each 2 credits, answering every lease at once) and one job of C
// chunks. Prints scheduling decisions per second (a decision = one chunk
// leased and its result accepted).
//   core_sim [WORKERS (default 10000)] [CHUNKS (default 1e7)]
#include <unistd.h>

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "common/clock.h"
#include "coordinator/core/scheduler.h"

int main(int argc, char** argv) {
  using namespace tminus;
  const int workers = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const auto chunks = static_cast<int64_t>(argc > 2 ? std::atof(argv[2]) : 1e7);
  Scheduler scheduler(RealClock::Get(), SchedulerOptions{});
  std::vector<SessionId> sessions;
  for (int i = 0; i < workers; ++i) {
    WorkerHello hello;
    hello.worker_id = absl::StrCat("sim-", i);
    hello.incarnation = static_cast<uint64_t>(i) + 1;
    hello.host = "sim";
    hello.slots = 1;
    hello.threads = true;
    sessions.push_back(*scheduler.OpenSession(hello));
    (void)scheduler.AddCredits(sessions.back(), 2);
  }
  JobSpec spec;
  spec.n = chunks;
  spec.chunk_count = chunks;
  spec.executor = ExecutorKind::kThreads;
  const double start = bench::NowSeconds();
  const JobId job = *scheduler.Submit(spec, "");
  std::vector<std::pair<SessionId, std::vector<ChunkReport>>> replies;
  int64_t decisions = 0;
  while (scheduler.GetJob(job)->state == JobState::kRunning) {
    replies.clear();
    scheduler.DrainOutboxes([&](SessionId id, Outbox outbox) {
      std::vector<ChunkReport> results;
      results.reserve(outbox.leases.size());
      for (const LeaseGrant& lease : outbox.leases) {
        ChunkReport r;
        r.job = lease.job;
        r.chunk = lease.chunk;
        r.attempt = lease.attempt;
        r.decrements = lease.count;
        results.push_back(r);
      }
      replies.emplace_back(id, std::move(results));
    });
    if (replies.empty()) break;
    for (auto& [id, results] : replies) {
      decisions += static_cast<int64_t>(results.size());
      (void)scheduler.OnResults(id, results);
      (void)scheduler.AddCredits(id, static_cast<int64_t>(results.size()));
    }
  }
  const double seconds = bench::NowSeconds() - start;
  const JobReport report = *scheduler.GetReport(job);
  if (report.job.state != JobState::kSucceeded || report.job.decrements_done != chunks) {
    std::cerr << "bench: job not exact\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "core alone: %d workers, %d chunks in %.2f s: %.0f decisions/s (lease + accept), "
      "%.0f ns each; peak RSS %.1f MB\n",
      workers, chunks, seconds, decisions / seconds, seconds / decisions * 1e9,
      bench::PeakRssBytes(getpid()) / 1e6);
  return 0;
}
