// Benchmark 1: efficiency against the machine's ceiling. A 2-slot tminus job
// of about 10 s of work (n decrements) next to two bare kernel threads doing
// the same n in this process, alternating, R times each; prints the medians
// and their ratio. Target: tminus >= 0.95 of the bare rate.
//   efficiency [N (default 2e10)] [REPEAT (default 3)] [CHUNKS (default 200)]
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int64_t n = argc > 1 ? static_cast<int64_t>(std::atof(argv[1])) : 20'000'000'000;
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  const int64_t chunks = argc > 3 ? std::atoll(argv[3]) : 200;
  auto cluster = StartCluster("efficiency", 2);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  std::vector<double> bare_rates, tminus_rates, ratios;
  for (int i = 0; i < repeat; ++i) {
    const double bare = BareKernelRate(n, 2);
    const JobRun run = RunJob(client, Spec(n, chunks, v1::EXECUTOR_THREADS));
    const double rate = static_cast<double>(n) / (run.report.wall_ns() * 1e-9);
    bare_rates.push_back(bare);
    tminus_rates.push_back(rate);
    ratios.push_back(rate / bare);
    std::cout << absl::StrFormat("run %d: bare 2 threads %.3f G/s, tminus 2 slots %.3f G/s "
                                 "(wall %.3f s): ratio %.3f\n",
                                 i + 1, bare / 1e9, rate / 1e9, run.report.wall_ns() * 1e-9,
                                 rate / bare);
  }
  std::cout << absl::StrFormat(
      "efficiency: n=%d, %d chunks: bare %.3f G/s, tminus %.3f G/s (medians); median ratio %.3f "
      "(target >= 0.95)\n",
      n, chunks, Median(bare_rates) / 1e9, Median(tminus_rates) / 1e9, Median(ratios));
  cluster->Stop();
  return 0;
}
