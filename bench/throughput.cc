// Benchmark 2: tiny-chunk throughput. A job of C chunks of 1 decrement each,
// end to end through a local coordinator and one 2-slot worker sharing this
// machine's cores: chunks per second. Python multiprocessing's Pool.map with
// chunksize 1 is the usual alternative (see bench/seed_compare.py).
//   throughput [CHUNKS (default 1000000)] [REPEAT (default 3)]
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int64_t chunks = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  auto cluster = StartCluster("throughput", 2);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  std::vector<double> rates;
  for (int i = 0; i < repeat; ++i) {
    const JobRun run = RunJob(client, Spec(chunks, chunks, v1::EXECUTOR_THREADS));
    const double rate = static_cast<double>(chunks) / (run.report.wall_ns() * 1e-9);
    rates.push_back(rate);
    std::cout << absl::StrFormat("run %d: %d chunks in %.3f s wall (%.3f s stopwatch): %.0f chunks/s\n",
                                 i + 1, chunks, run.report.wall_ns() * 1e-9, run.stopwatch_s, rate);
  }
  std::cout << absl::StrFormat("throughput: median %.0f chunks/s over %d runs (target >= 500000)\n",
                               Median(rates), repeat);
  cluster->Stop();
  return 0;
}
