// Benchmark 3: latency. J sequential one-chunk jobs (1 decrement each)
// submitted through the client library (no process start-up): submit to
// result, as the client sees it (Submit, then Watch until the job is done).
// Target p50 <= 300 us.
//   latency [JOBS (default 1000)]
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 1'000;
  auto cluster = StartCluster("latency", 2);
  JobClient client(cluster->address());
  std::vector<double> latencies_us;
  for (int i = 0; i < jobs + 20; ++i) {
    const JobRun run = RunJob(client, Spec(1, 1, v1::EXECUTOR_THREADS));
    if (i >= 20) latencies_us.push_back(run.stopwatch_s * 1e6);  // the first 20 warm up
  }
  std::cout << absl::StrFormat(
      "latency: %d sequential one-chunk jobs, submit to result: p50 %.0f us, p90 %.0f us, "
      "p99 %.0f us, max %.0f us (target p50 <= 300 us)\n",
      jobs, Percentile(latencies_us, 0.5), Percentile(latencies_us, 0.9),
      Percentile(latencies_us, 0.99), Percentile(latencies_us, 1.0));
  cluster->Stop();
  return 0;
}
