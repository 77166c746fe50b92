#include "common/process_metrics.h"

#include "common/host.h"
#include "common/process_usage.h"

namespace tminus {
namespace {

prometheus::MetricFamily One(const std::string& name, const std::string& help,
                             prometheus::MetricType type, double value) {
  prometheus::MetricFamily family{name, help, type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  const ProcessUsage usage = ReadProcessUsage();
  std::vector<prometheus::MetricFamily> families = {
      One("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
          MetricType::Counter, static_cast<double>(usage.cpu_ns) / 1e9),
      One("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
          static_cast<double>(usage.resident_bytes)),
      One("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
          static_cast<double>(usage.virtual_bytes)),
      One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
          usage.open_fds),
      One("process_max_fds", "Maximum number of open file descriptors (the soft limit).",
          MetricType::Gauge, static_cast<double>(usage.max_fds)),
      One("process_start_time_seconds", "Start time of the process since the epoch, in seconds.",
          MetricType::Gauge, usage.start_time_s),
      One("process_threads", "Number of threads of the process.", MetricType::Gauge,
          usage.threads),
  };
  prometheus::MetricFamily build = One("tminus_build_info",
                                       "1, labelled with the version and the daemon.",
                                       MetricType::Gauge, 1);
  build.metric[0].label = {{"component", component_}, {"version", Version()}};
  families.push_back(std::move(build));
  return families;
}

}  // namespace tminus
