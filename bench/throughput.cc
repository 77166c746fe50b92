// Benchmark 2: tiny-chunk throughput. A job of C chunks of 1 decrement each,
// end to end through a local coordinator and one 2-slot worker sharing this
// machine's cores: chunks per second. Python multiprocessing's Pool.map with
// chunksize 1 is the usual alternative (see bench/seed_compare.py).
//   throughput [CHUNKS (default 1000000)] [REPEAT (default 3)] [threads|processes]
#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int64_t chunks = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string executor_name = argc > 3 ? argv[3] : "threads";
  if (executor_name != "threads" && executor_name != "processes") {
    Die("the executor (third argument) is threads or processes, got " + executor_name);
  }
  const v1::Executor executor =
      executor_name == "threads" ? v1::EXECUTOR_THREADS : v1::EXECUTOR_PROCESSES;
  auto cluster = StartCluster("throughput", 2);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  DaemonCosts costs(cluster.get());
  std::vector<double> rates;
  for (int i = 0; i < repeat; ++i) {
    costs.Start();
    const JobRun run = RunJob(client, Spec(chunks, chunks, executor));
    costs.Stop();
    const double rate = static_cast<double>(chunks) / (run.report.wall_ns() * 1e-9);
    rates.push_back(rate);
    std::cout << absl::StrFormat(
        "run %d: %d chunks in %.3f s wall (%.3f s stopwatch): %.0f chunks/s; per chunk: "
        "coordinator %.2f us CPU, %.3f context switches; worker %.2f us CPU, %.3f switches\n",
        i + 1, chunks, run.report.wall_ns() * 1e-9, run.stopwatch_s, rate,
        costs.coordinator().cpu_s * 1e6 / chunks,
        static_cast<double>(costs.coordinator().switches) / chunks,
        costs.worker().cpu_s * 1e6 / chunks, static_cast<double>(costs.worker().switches) / chunks);
  }
  std::cout << absl::StrFormat("throughput (%s): median %.0f chunks/s over %d runs\n",
                               executor_name, Median(rates), repeat);
  cluster->Stop();
  return 0;
}
