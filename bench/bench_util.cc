#include "bench/bench_util.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/kernel.h"

namespace tminus::bench {

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "bench: " << message << "\n";
  std::exit(1);
}

std::unique_ptr<LocalCluster> StartCluster(const std::string& name, int slots,
                                           const std::vector<std::string>& worker_flags,
                                           bool dashboard) {
  LocalClusterOptions options;
  options.dashboard = dashboard;
  options.bin_dir = LocalCluster::SelfDir();
  options.work_dir = absl::StrCat("/tmp/tminus-bench-", name, "-", getpid());
  options.remove_work_dir = true;
  options.coordinator_flags = BenchCoordinatorFlags();
  auto cluster = LocalCluster::Start(options);
  if (!cluster.ok()) Die(cluster.status().ToString());
  if (auto added = (*cluster)->AddWorker("bench-worker", slots, worker_flags); !added.ok()) {
    Die(added.status().ToString());
  }
  if (auto ready = (*cluster)->WaitForWorkers(1, std::chrono::seconds(20)); !ready.ok()) {
    Die(ready.ToString());
  }
  return std::move(*cluster);
}

std::vector<std::string> BenchCoordinatorFlags() {
  // Benchmarks measure speed: the per-client admission limits stay out of it.
  return {"--submits-per-second", "1000000", "--submit-burst", "1000000",
          "--max-sessions-per-host", "100000"};
}

v1::JobSpec Spec(int64_t n, int64_t chunks, v1::Executor executor, int max_slots) {
  v1::JobSpec spec;
  spec.set_n(n);
  spec.set_chunk_count(chunks);
  spec.set_executor(executor);
  spec.set_max_slots(max_slots);
  return spec;
}

JobRun RunJob(JobClient& client, const v1::JobSpec& spec) {
  v1::SubmitJobRequest request;
  *request.mutable_spec() = spec;
  const double start = NowSeconds();
  auto job = client.Submit(request);
  if (!job.ok()) Die(job.status().ToString());
  auto last = client.Watch(job->id(), 1000, [](const auto&) {});
  if (!last.ok()) Die(last.status().ToString());
  JobRun run;
  run.stopwatch_s = NowSeconds() - start;
  auto report = client.Report(job->id());
  if (!report.ok()) Die(report.status().ToString());
  if (report->state() != v1::JOB_STATE_SUCCEEDED || report->decrements() != report->n()) {
    Die(absl::StrCat("job ", job->id(), " not exact: ", report->error()));
  }
  run.report = *report;
  return run;
}

double BareKernelRate(int64_t n, int threads) {
  // Each thread times itself: the ceiling is the sum of what each core did,
  // not n over the slowest thread's time (a static split waits for the slower
  // core; on a shared machine the two cores rarely run at the same speed).
  std::vector<double> rates(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([n, threads, rate = &rates[static_cast<size_t>(t)]] {
      const double start = NowSeconds();
      const uint64_t done = Countdown(static_cast<uint64_t>(n / threads), nullptr);
      *rate = static_cast<double>(done) / (NowSeconds() - start);
    });
  }
  for (std::thread& thread : pool) thread.join();
  double total = 0;
  for (double rate : rates) total += rate;
  return total;
}

double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  return values[index];
}

namespace {
int64_t StatusField(int pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream fields(line.substr(field.size() + 1));
      int64_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  return 0;
}
}  // namespace

int64_t RssBytes(int pid) { return StatusField(pid, "VmRSS"); }
int64_t PeakRssBytes(int pid) { return StatusField(pid, "VmHWM"); }

double CpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t ContextSwitches(int pid) {
  // /proc/PID/status counts the main thread only: sum the threads.
  int64_t total = 0;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  const auto skip = std::filesystem::directory_options::skip_permission_denied;
  for (const auto& task : std::filesystem::directory_iterator(tasks, skip)) {
    std::ifstream in(task.path() / "status");
    std::string line;
    while (std::getline(in, line)) {
      for (const char* field : {"voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"}) {
        if (line.rfind(field, 0) == 0) total += std::atoll(line.c_str() + std::strlen(field));
      }
    }
  }
  return total;
}

void DaemonCosts::Start() {
  const int coordinator = cluster_->coordinator().pid();
  const int worker = cluster_->workers().front().pid();
  coordinator_ = {-ContextSwitches(coordinator), -CpuSeconds(coordinator)};
  worker_ = {-ContextSwitches(worker), -CpuSeconds(worker)};
}

void DaemonCosts::Stop() {
  const int coordinator = cluster_->coordinator().pid();
  const int worker = cluster_->workers().front().pid();
  coordinator_.switches += ContextSwitches(coordinator);
  coordinator_.cpu_s += CpuSeconds(coordinator);
  worker_.switches += ContextSwitches(worker);
  worker_.cpu_s += CpuSeconds(worker);
}

double NowSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace tminus::bench
