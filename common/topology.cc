#include "common/topology.h"

#include <sched.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/files.h"
#include "common/host.h"
#include "common/labels.h"

namespace tminus {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::optional<std::string> text = ReadWholeFile(path);
  if (text.has_value()) *out = *std::move(text);
  return text.has_value();
}

// -1 when the file is missing or holds no number.
int ReadInt(const std::string& path) {
  std::string text;
  int value = 0;
  if (!ReadFile(path, &text) || !absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value)) {
    return -1;
  }
  return value;
}

std::vector<int> AffinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    for (int cpu = 0; cpu < OnlineCpus(); ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

std::string CpuModel(const std::string& cpuinfo) {
  std::string text;
  if (ReadFile(cpuinfo, &text)) {
    // x86 says "model name"; some ARM kernels say "Model" or nothing useful.
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      for (absl::string_view key : {"model name", "Model", "cpu model"}) {
        if (!absl::StartsWith(line, key)) continue;
        const size_t colon = line.find(':');
        if (colon == absl::string_view::npos) continue;
        const std::string model = SanitizeLabelValue(line.substr(colon + 1));
        if (!model.empty()) return model;
      }
    }
  }
  return "unknown";
}

// NUMA node of each CPU, from node*/cpulist; empty when the kernel has no
// NUMA directory (then the machine counts as one node).
std::map<int, int> NodeOfCpus(const std::string& sys_root) {
  std::map<int, int> node_of;
  std::string online;
  if (!ReadFile(sys_root + "/devices/system/node/online", &online)) return node_of;
  absl::StatusOr<std::vector<int>> nodes = ParseCpuList(absl::StripAsciiWhitespace(online));
  if (!nodes.ok()) return node_of;
  for (int node : *nodes) {
    std::string text;
    if (!ReadFile(absl::StrCat(sys_root, "/devices/system/node/node", node, "/cpulist"), &text)) {
      continue;
    }
    absl::StatusOr<std::vector<int>> cpus = ParseCpuList(absl::StripAsciiWhitespace(text));
    if (!cpus.ok()) continue;
    for (int cpu : *cpus) node_of[cpu] = node;
  }
  return node_of;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text) {
  std::vector<int> cpus;
  if (text.empty()) return cpus;
  for (absl::string_view range : absl::StrSplit(text, ',')) {
    const size_t dash = range.find('-');
    const absl::string_view low = range.substr(0, dash);
    const absl::string_view high = dash == absl::string_view::npos ? low : range.substr(dash + 1);
    int first = 0;
    int last = 0;
    if (!absl::SimpleAtoi(low, &first) || !absl::SimpleAtoi(high, &last) ||
        first < 0 || last < first || last >= 1 << 20) {
      return absl::InvalidArgumentError(absl::StrCat("bad CPU list '", text, "'"));
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

Topology ReadTopology(const TopologySources& sources) {
  const std::vector<int> cpus =
      sources.allowed_cpus.empty() ? AffinityCpus() : sources.allowed_cpus;
  const std::string cpu_dir = sources.sys_root + "/devices/system/cpu/cpu";
  const std::map<int, int> node_of = NodeOfCpus(sources.sys_root);
  // A core is (package, core id); a CPU without topology files is its own core.
  std::map<std::pair<int, int>, std::vector<int>> cores;
  std::set<int> sockets;
  std::set<int> nodes;
  for (int cpu : cpus) {
    const int package = ReadInt(absl::StrCat(cpu_dir, cpu, "/topology/physical_package_id"));
    const int core = ReadInt(absl::StrCat(cpu_dir, cpu, "/topology/core_id"));
    const std::pair<int, int> key =
        core < 0 ? std::make_pair(-1, cpu) : std::make_pair(std::max(package, 0), core);
    cores[key].push_back(cpu);
    sockets.insert(std::max(package, 0));
    const auto node = node_of.find(cpu);
    nodes.insert(node == node_of.end() ? 0 : node->second);
  }
  Topology topology;
  topology.logical_cpus = static_cast<int32_t>(cpus.size());
  topology.physical_cores = static_cast<int32_t>(cores.size());
  topology.sockets = static_cast<int32_t>(sockets.size());
  topology.numa_nodes = static_cast<int32_t>(nodes.size());
  topology.smt = topology.logical_cpus > topology.physical_cores;
  topology.cpu_model = CpuModel(sources.cpuinfo);
  // Round by round: the first CPU of every core, then the second, ...
  for (size_t round = 0; topology.pin_order.size() < cpus.size(); ++round) {
    for (const auto& [key, members] : cores) {
      if (round < members.size()) topology.pin_order.push_back(members[round]);
    }
  }
  return topology;
}

bool PinThisThreadTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

}  // namespace tminus
