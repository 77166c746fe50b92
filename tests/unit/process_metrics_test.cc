// process_* and tminus_build_info (issue 22), read from this test process's
// own /proc, against what the test can see of itself.
#include "common/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>

#include "common/host.h"

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
