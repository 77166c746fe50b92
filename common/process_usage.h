// What this process uses of its machine, read from /proc/self: for both
// daemons' process_* metrics and for the usage a worker reports of itself
// to the coordinator (the dashboard's worker page).
//
// Thread-safe: it holds no state.
#pragma once

#include <cstdint>

namespace tminus {

struct ProcessUsage {
  int64_t cpu_ns = 0;          // user + system CPU time since the process started
  int64_t resident_bytes = 0;  // resident set size
  int64_t virtual_bytes = 0;
  int32_t threads = 0;
  int32_t open_fds = 0;
  int64_t max_fds = 0;         // the soft limit
  double start_time_s = 0;     // since the epoch
};

// Zeros for what /proc does not say (another OS, a restricted /proc).
ProcessUsage ReadProcessUsage();

// CPUs used on average between two readings `wall_ns` apart: 0 when the
// interval is empty or the CPU time went back (another process).
double CpuCores(const ProcessUsage& before, const ProcessUsage& after, int64_t wall_ns);

}  // namespace tminus
