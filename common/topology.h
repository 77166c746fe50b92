// The hardware a worker runs on, as the worker may use it: the CPUs of its
// affinity mask (a cpuset cgroup or taskset narrows them), and the cores,
// sockets and NUMA nodes those CPUs belong to.
//
// Read from /sys/devices/system (cpuN/topology, node*/cpulist) and
// /proc/cpuinfo, not hwloc: these are the counts hwloc itself reads on
// Linux, they need no extra library in the image, and a test can point the
// reader at a fake tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tminus {

struct Topology {
  int32_t logical_cpus = 0;    // CPUs this process may run on
  int32_t physical_cores = 0;  // cores those CPUs belong to
  int32_t sockets = 0;
  int32_t numa_nodes = 0;
  bool smt = false;  // some core has two or more of those CPUs
  std::string cpu_model;
  // Where --pin puts slot i (mod size): one CPU of each core first, then
  // the cores' other hardware threads.
  std::vector<int> pin_order;
};

struct TopologySources {
  std::string sys_root = "/sys";
  std::string cpuinfo = "/proc/cpuinfo";
  std::vector<int> allowed_cpus;  // empty: this process's affinity mask
};

Topology ReadTopology(const TopologySources& sources = {});

// "0-3,8,10-11" into CPU numbers; INVALID_ARGUMENT for anything else.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text);

// Pins the calling thread to one CPU (children it forks inherit it).
bool PinThisThreadTo(int cpu);

}  // namespace tminus
