// process_* and tminus_build_info (issue 22), read from this test process's
// own /proc, against what the test can see of itself.
#include "common/process_metrics.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "common/host.h"
#include "common/process_usage.h"
#include "common/proto_convert.h"

namespace tminus {
namespace {

std::map<std::string, prometheus::MetricFamily> ByName(const ProcessMetrics& metrics) {
  std::map<std::string, prometheus::MetricFamily> out;
  for (prometheus::MetricFamily& family : metrics.Collect()) out[family.name] = family;
  return out;
}

double Gauge(const std::map<std::string, prometheus::MetricFamily>& families,
             const std::string& name) {
  return families.at(name).metric.at(0).gauge.value;
}

TEST(ProcessMetricsTest, TheStandardProcessMetricsDescribeThisProcess) {
  // Burn some CPU first, so the counter has something to show.
  volatile uint64_t n = 200'000'000;
  while (n > 0) n = n - 1;
  const auto families = ByName(ProcessMetrics("worker"));
  ASSERT_EQ(families.count("process_cpu_seconds_total"), 1u);
  EXPECT_EQ(families.at("process_cpu_seconds_total").type, prometheus::MetricType::Counter);
  EXPECT_GT(families.at("process_cpu_seconds_total").metric.at(0).counter.value, 0.01);
  EXPECT_GT(Gauge(families, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(Gauge(families, "process_virtual_memory_bytes"),
            Gauge(families, "process_resident_memory_bytes"));
  EXPECT_GE(Gauge(families, "process_open_fds"), 3) << "stdin, stdout, stderr";
  EXPECT_GE(Gauge(families, "process_max_fds"), Gauge(families, "process_open_fds"));
  EXPECT_GE(Gauge(families, "process_threads"), 1);
  const double now = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch()).count());
  const double start = Gauge(families, "process_start_time_seconds");
  EXPECT_LE(start, now + 2);
  EXPECT_GT(start, now - 3600) << "this test binary started within the hour";
}

TEST(ProcessMetricsTest, BuildInfoNamesTheVersionAndTheDaemon) {
  const auto families = ByName(ProcessMetrics("coordinator"));
  const prometheus::ClientMetric& info = families.at("tminus_build_info").metric.at(0);
  EXPECT_EQ(info.gauge.value, 1);
  std::map<std::string, std::string> labels;
  for (const auto& label : info.label) labels[label.name] = label.value;
  EXPECT_EQ(labels["component"], "coordinator");
  EXPECT_EQ(labels["version"], Version());
}

}  // namespace
}  // namespace tminus

namespace tminus {
namespace {

// What a worker reports: its children's CPU time and memory too (the
// processes executor's children, kernels), which /proc/self alone misses.
TEST(ProcessUsageTest, TheTreeCountsABusyChildThatThisProcessAloneDoesNot) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (volatile uint64_t n = 0;; n = n + 1) {
    }
  }
  const ProcessUsage self_before = ReadProcessUsage();
  const ProcessUsage tree_before = ReadProcessTreeUsage();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const ProcessUsage self_after = ReadProcessUsage();
  const ProcessUsage tree_after = ReadProcessTreeUsage();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const double self_cpu = (self_after.cpu_ns - self_before.cpu_ns) * 1e-9;
  const double tree_cpu = (tree_after.cpu_ns - tree_before.cpu_ns) * 1e-9;
  // Loose: on a busy machine the child gets less than its 0.6 s.
  EXPECT_GT(tree_cpu, self_cpu + 0.05) << "self " << self_cpu << " s, tree " << tree_cpu << " s";
  EXPECT_GT(tree_after.resident_bytes, self_after.resident_bytes) << "the child's memory too";
  EXPECT_GT(tree_after.sampled_mono_ns, tree_before.sampled_mono_ns);
  EXPECT_GT(CpuCores(tree_before, tree_after), CpuCores(self_before, self_after));
  const ProcessUsage reaped = ReadProcessTreeUsage();
  EXPECT_GE(reaped.cpu_ns, tree_after.cpu_ns) << "a reaped child's time stays (cutime)";
}

TEST(ProcessUsageTest, APeersReportIsClampedIntoRange) {
  v1::ProcessUsage wire;
  wire.set_cpu_ns(INT64_MAX);
  wire.set_resident_bytes(-5);
  wire.set_threads(-1);
  wire.set_sampled_mono_ns(INT64_MIN);
  const ProcessUsage usage = FromProto(wire);
  EXPECT_EQ(usage.cpu_ns, int64_t{1} << 50) << "a JSON number, exact; differences never overflow";
  EXPECT_EQ(usage.resident_bytes, 0);
  EXPECT_EQ(usage.threads, 0);
  EXPECT_EQ(usage.sampled_mono_ns, 0);
}

}  // namespace
}  // namespace tminus
