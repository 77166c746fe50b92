// The standard process metrics of Prometheus's client libraries, and a
// build_info, for both daemons' /metrics: read from /proc/self at each
// scrape (no thread, nothing kept between scrapes).
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_open_fds, process_max_fds,
//   process_start_time_seconds, process_threads,
//   tminus_build_info{version, component} = 1
//
// Thread-safe: Collect() holds no state.
#pragma once

#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace tminus {

class ProcessMetrics : public prometheus::Collectable {
 public:
  // `component`: "coordinator" or "worker", build_info's label.
  explicit ProcessMetrics(std::string component) : component_(std::move(component)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string component_;
};

}  // namespace tminus
