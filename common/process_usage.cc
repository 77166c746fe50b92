#include "common/process_usage.h"

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"

namespace tminus {
namespace {

// The fields of /proc/PID/stat after the command's closing parenthesis
// (the command may hold spaces): [0] is field 3, the state.
std::vector<std::string> StatFields(const std::string& pid = "self") {
  const std::string stat = ReadWholeFile(absl::StrCat("/proc/", pid, "/stat")).value_or("");
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

int64_t MonoNow() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

double TicksToNs() { return 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK)); }

// The children of every thread of `pid`.
std::vector<std::string> ChildrenOf(const std::string& pid) {
  std::vector<std::string> children;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return children;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string list =
        ReadWholeFile(absl::StrCat(tasks, "/", entry->d_name, "/children")).value_or("");
    for (absl::string_view child : absl::StrSplit(list, ' ', absl::SkipEmpty())) {
      children.emplace_back(absl::StripAsciiWhitespace(child));
    }
  }
  closedir(dir);
  return children;
}

// Adds the CPU time (their own and their reaped children's) and the
// resident bytes of `pid`'s descendants, `depth` generations down at most.
void AddDescendants(const std::string& pid, int depth, double page, ProcessUsage* usage) {
  if (depth == 0) return;
  for (const std::string& child : ChildrenOf(pid)) {
    const std::vector<std::string> stat = StatFields(child);
    if (stat.empty()) continue;  // gone since
    usage->cpu_ns += static_cast<int64_t>(
        (Field(stat, 14) + Field(stat, 15) + Field(stat, 16) + Field(stat, 17)) * TicksToNs());
    usage->resident_bytes += static_cast<int64_t>(Field(stat, 24) * page);
    AddDescendants(child, depth - 1, page, usage);
  }
}

}  // namespace

ProcessUsage ReadProcessTreeUsage() {
  const std::vector<std::string> stat = StatFields();
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessUsage usage;
  usage.sampled_mono_ns = MonoNow();
  // utime (14), stime (15), and the reaped children's cutime (16), cstime (17).
  usage.cpu_ns = static_cast<int64_t>(
      (Field(stat, 14) + Field(stat, 15) + Field(stat, 16) + Field(stat, 17)) * TicksToNs());
  usage.resident_bytes = static_cast<int64_t>(Field(stat, 24) * page);
  usage.threads = static_cast<int32_t>(Field(stat, 20));
  usage.open_fds = OpenFds();
  AddDescendants("self", 4, page, &usage);
  return usage;
}

ProcessUsage ReadProcessUsage() {
  const std::vector<std::string> stat = StatFields();
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  rlimit fds{};
  getrlimit(RLIMIT_NOFILE, &fds);
  ProcessUsage usage;
  usage.sampled_mono_ns = MonoNow();
  // utime (14) and stime (15), in clock ticks.
  usage.cpu_ns = static_cast<int64_t>((Field(stat, 14) + Field(stat, 15)) * TicksToNs());
  usage.resident_bytes = static_cast<int64_t>(Field(stat, 24) * page);
  usage.virtual_bytes = static_cast<int64_t>(Field(stat, 23));
  usage.threads = static_cast<int32_t>(Field(stat, 20));
  usage.open_fds = OpenFds();
  usage.max_fds = static_cast<int64_t>(fds.rlim_cur);
  // starttime (22), in clock ticks after boot.
  usage.start_time_s = BootTime() + Field(stat, 22) * TicksToNs() * 1e-9;
  return usage;
}

double CpuCores(const ProcessUsage& before, const ProcessUsage& after) {
  const int64_t wall_ns = after.sampled_mono_ns - before.sampled_mono_ns;
  if (wall_ns <= 0 || after.cpu_ns < before.cpu_ns) return 0;
  return static_cast<double>(after.cpu_ns - before.cpu_ns) / static_cast<double>(wall_ns);
}

}  // namespace tminus
