#include "common/process_usage.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"

namespace tminus {
namespace {

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

int32_t OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int32_t count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the one opendir holds
}

}  // namespace

ProcessUsage ReadProcessUsage() {
  const std::vector<std::string> stat = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  rlimit fds{};
  getrlimit(RLIMIT_NOFILE, &fds);
  ProcessUsage usage;
  // utime (14) and stime (15), in clock ticks.
  usage.cpu_ns = static_cast<int64_t>((Field(stat, 14) + Field(stat, 15)) / ticks * 1e9);
  usage.resident_bytes = static_cast<int64_t>(Field(stat, 24) * page);
  usage.virtual_bytes = static_cast<int64_t>(Field(stat, 23));
  usage.threads = static_cast<int32_t>(Field(stat, 20));
  usage.open_fds = OpenFds();
  usage.max_fds = static_cast<int64_t>(fds.rlim_cur);
  // starttime (22), in clock ticks after boot.
  usage.start_time_s = BootTime() + Field(stat, 22) / ticks;
  return usage;
}

double CpuCores(const ProcessUsage& before, const ProcessUsage& after, int64_t wall_ns) {
  if (wall_ns <= 0 || after.cpu_ns < before.cpu_ns) return 0;
  return static_cast<double>(after.cpu_ns - before.cpu_ns) / static_cast<double>(wall_ns);
}

}  // namespace tminus
