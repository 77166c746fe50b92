// Benchmark 5b: what a finished job costs the coordinator. The scheduling
// core alone (no gRPC, no threads) runs J jobs of 4 chunks on one simulated
// 2-slot worker, each with a 36-byte request id as clients send, and prints
// the heap bytes per job (malloc's own count, before and after) and the
// process RSS. Target: under 2 KB per finished job (issue 11).
//   finished_jobs [JOBS (default 50000)]
#include <malloc.h>

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/sim_jobs.h"
#include "common/clock.h"
#include "coordinator/core/scheduler.h"

namespace {

int64_t HeapBytes() {
  malloc_trim(0);
  return static_cast<int64_t>(mallinfo2().uordblks);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tminus;
  const auto jobs = static_cast<int64_t>(argc > 1 ? std::atof(argv[1]) : 5e4);
  SchedulerOptions options;
  options.max_active_jobs = jobs + 1;
  Scheduler scheduler(RealClock::Get(), options);
  const int64_t before = HeapBytes();
  const int64_t rss_before = bench::RssBytes(getpid());
  bench::RunFinishedJobs(scheduler, jobs);
  (void)scheduler.TakeDirtySnapshots();  // the store has them
  (void)scheduler.TakeFinishedJobs();
  const int64_t after = HeapBytes();
  const int64_t rss_after = bench::RssBytes(getpid());
  int64_t exact = 0;
  for (const JobView& view : scheduler.ListJobs(0, static_cast<int>(jobs))) {
    exact += view.state == JobState::kSucceeded && view.decrements_done == view.spec.n;
  }
  std::cout << absl::StrFormat(
      "finished_jobs: %d jobs, %d exact; heap %.0f bytes per finished job (target < 2048); RSS "
      "+%.1f MB\n",
      jobs, exact, static_cast<double>(after - before) / static_cast<double>(jobs),
      (rss_after - rss_before) / 1e6);
  return exact == jobs ? 0 : 1;
}
