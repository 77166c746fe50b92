#include "common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/host.h"

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

// The fields of /proc/self/stat after the command's closing parenthesis
// (the command may hold spaces): [0] is field 3, the state.
std::vector<std::string> StatFields() {
  const std::string stat = ReadWholeFile("/proc/self/stat").value_or("");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  return absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
}

double Field(const std::vector<std::string>& fields, size_t proc_field) {
  double value = 0;
  const size_t index = proc_field - 3;
  if (index >= fields.size() || !absl::SimpleAtod(fields[index], &value)) return 0;
  return value;
}

// The machine's boot time (btime of /proc/stat), seconds since the epoch.
double BootTime() {
  const std::string stat = ReadWholeFile("/proc/stat").value_or("");
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &value)) return value;
  }
  return 0;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the one opendir holds
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  const std::vector<std::string> stat = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  rlimit fds{};
  getrlimit(RLIMIT_NOFILE, &fds);
  std::vector<prometheus::MetricFamily> families = {
      // utime (14) and stime (15), in clock ticks.
      One("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
          MetricType::Counter, (Field(stat, 14) + Field(stat, 15)) / ticks),
      One("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
          Field(stat, 24) * page),
      One("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
          Field(stat, 23)),
      One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, OpenFds()),
      One("process_max_fds", "Maximum number of open file descriptors (the soft limit).",
          MetricType::Gauge, static_cast<double>(fds.rlim_cur)),
      // starttime (22), in clock ticks after boot.
      One("process_start_time_seconds", "Start time of the process since the epoch, in seconds.",
          MetricType::Gauge, BootTime() + Field(stat, 22) / ticks),
      One("process_threads", "Number of threads of the process.", MetricType::Gauge,
          Field(stat, 20)),
  };
  prometheus::MetricFamily build = One("tminus_build_info",
                                       "1, labelled with the version and the daemon.",
                                       MetricType::Gauge, 1);
  build.metric[0].label = {{"component", component_}, {"version", Version()}};
  families.push_back(std::move(build));
  return families;
}

}  // namespace tminus
