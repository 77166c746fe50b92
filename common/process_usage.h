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
  int64_t sampled_mono_ns = 0; // when read (CLOCK_MONOTONIC)
};

// This process alone (the standard process_* metrics). Zeros for what /proc
// does not say (another OS, a restricted /proc).
ProcessUsage ReadProcessUsage();

// What a worker reports of itself: its CPU time and resident memory with
// those of the processes it started and their children (the processes
// executor's, python and command kernels'), found through
// /proc/PID/task/TID/children; CPU time of children already reaped is in
// this process's cutime and cstime, so the total never goes back. Threads
// and open fds are this process's. Lighter than ReadProcessUsage: no
// /proc/stat, no rlimit, no start time.
ProcessUsage ReadProcessTreeUsage();

// CPUs used on average between two readings, by their sampled_mono_ns: 0
// when the interval is empty or the CPU time went back (another process).
double CpuCores(const ProcessUsage& before, const ProcessUsage& after);

}  // namespace tminus
