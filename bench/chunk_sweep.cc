// Benchmark 4: the smallest chunk at which 2 slots still reach 90% of the
// machine's ceiling (2 x the bare kernel rate, measured in the same run right
// before each point). Chunk sizes from 1e3 to 1e8 decrements.
// Target: 90% at chunks of 20 us of work or less. Also prints the context
// switches per chunk of the coordinator and of the worker (all threads).
//   chunk_sweep [N_PER_POINT (default 2e9)] [MAX_CHUNKS (default 1e6)] [REPEAT (default 3)]
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int64_t n_per_point = argc > 1 ? static_cast<int64_t>(std::atof(argv[1])) : 2'000'000'000;
  const int64_t max_chunks = argc > 2 ? static_cast<int64_t>(std::atof(argv[2])) : 1'000'000;
  const int repeat = argc > 3 ? std::atoi(argv[3]) : 3;
  auto cluster = StartCluster("sweep", 2);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  DaemonCosts costs(cluster.get());
  std::cout << absl::StrFormat("%12s %10s %10s %12s %12s %10s %9s %9s\n", "CHUNK", "CHUNK_US",
                               "CHUNKS", "BARE_G/s", "TMINUS_G/s", "EFFICIENCY", "COORD_CS",
                               "WORKER_CS");
  double smallest_us = -1;
  for (double decade = 1e3; decade <= 1e8; decade *= 10) {
    for (double step : {1.0, 2.0, 5.0}) {
      const double size = decade * step;
      if (size > 1e8) break;
      const auto chunk = static_cast<int64_t>(size);
      const int64_t chunks = std::max<int64_t>(2, std::min(max_chunks, n_per_point / chunk));
      const int64_t n = chunks * chunk;
      std::vector<double> bares, rates, efficiencies, coordinator_cs, worker_cs;
      for (int r = 0; r < repeat; ++r) {
        // The ceiling is measured right before and right after each job, so
        // a noisy moment on this shared machine hits both sides alike.
        const double bare_before = BareKernelRate(n, 2);
        costs.Start();
        const JobRun run = RunJob(client, Spec(n, chunks, v1::EXECUTOR_THREADS));
        costs.Stop();
        coordinator_cs.push_back(static_cast<double>(costs.coordinator().switches) / chunks);
        worker_cs.push_back(static_cast<double>(costs.worker().switches) / chunks);
        const double bare = (bare_before + BareKernelRate(n, 2)) / 2;
        const double rate = static_cast<double>(n) / (run.report.wall_ns() * 1e-9);
        bares.push_back(bare);
        rates.push_back(rate);
        efficiencies.push_back(rate / bare);
      }
      const double bare = Median(bares);
      const double efficiency = Median(efficiencies);
      const double chunk_us = size / (bare / 2) * 1e6;
      if (efficiency >= 0.9 && smallest_us < 0) smallest_us = chunk_us;
      std::cout << absl::StrFormat("%12.0f %10.1f %10d %12.3f %12.3f %9.1f%% %9.3f %9.3f\n", size,
                                   chunk_us, chunks, bare / 1e9, Median(rates) / 1e9,
                                   efficiency * 100, Median(coordinator_cs), Median(worker_cs));
    }
  }
  if (smallest_us >= 0) {
    std::cout << absl::StrFormat("chunk sweep: 90%% of the ceiling from chunks of %.1f us of work "
                                 "(target <= 20 us)\n", smallest_us);
  } else {
    std::cout << "chunk sweep: no chunk size reached 90% of the ceiling (target: <= 20 us)\n";
  }
  cluster->Stop();
  return 0;
}
