// Helpers shared by the benchmarks: a local cluster of the built binaries,
// running one job to its end, medians, the bare kernel, process RSS and CPU.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client.h"
#include "cli/local_cluster.h"

namespace tminus::bench {

// Prints "bench: MESSAGE" and exits 1.
[[noreturn]] void Die(const std::string& message);

// Coordinator flags that lift the admission limits (rates, sessions per host).
std::vector<std::string> BenchCoordinatorFlags();

// A coordinator and one worker with `slots` slots, from the binaries next to
// this benchmark. Exits the process with a message on failure.
std::unique_ptr<LocalCluster> StartCluster(const std::string& name, int slots,
                                           const std::vector<std::string>& worker_flags = {},
                                           bool dashboard = false);

struct JobRun {
  v1::JobReport report;
  double stopwatch_s = 0;  // submit to end, as this client saw it
};

// Submits and follows one job; exits the process if it does not succeed
// exactly (decrements == n).
JobRun RunJob(JobClient& client, const v1::JobSpec& spec);
v1::JobSpec Spec(int64_t n, int64_t chunks, v1::Executor executor, int max_slots = 0);

// `threads` threads each running Countdown(n / threads); returns the sum of
// the threads' own rates (decrements/s): the machine's ceiling.
double BareKernelRate(int64_t n, int threads);

double Median(std::vector<double> values);
double Percentile(std::vector<double> values, double q);
// Resident set size and its peak (VmHWM), in bytes, of a process.
int64_t RssBytes(int pid);
int64_t PeakRssBytes(int pid);
// User + system CPU seconds a process has used.
double CpuSeconds(int pid);
// Context switches (voluntary and not) of a process's live threads so far.
int64_t ContextSwitches(int pid);

// What the cluster's coordinator and first worker spent between Start() and
// Stop(): context switches (all threads) and CPU seconds, for the per-chunk
// figures.
class DaemonCosts {
 public:
  explicit DaemonCosts(LocalCluster* cluster) : cluster_(cluster) {}
  void Start();
  void Stop();
  struct Cost {
    int64_t switches = 0;
    double cpu_s = 0;
  };
  const Cost& coordinator() const { return coordinator_; }
  const Cost& worker() const { return worker_; }

 private:
  LocalCluster* cluster_;
  Cost coordinator_;
  Cost worker_;
};
double NowSeconds();

}  // namespace tminus::bench
