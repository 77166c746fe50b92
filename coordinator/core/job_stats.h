// Streaming timing aggregation for one job: totals, a duration histogram and
// per-worker, per-slot sums. Nothing per chunk is kept.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

#include "common/histogram.h"
#include "common/job_counters.h"
#include "coordinator/core/types.h"

namespace tminus {

struct SlotTotals {
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
};

struct WorkerTotals {
  WorkerIdentityView who;
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  // Its decrements at its calibrated one-slot rate (the serial time one of
  // its slots would have taken), and those done while it had no calibration.
  int64_t reference_ns = 0;
  int64_t unreferenced_decrements = 0;
  std::vector<SlotTotals> slots;  // indexed by the worker's slot number
};

// Value type; thread-compatible.
class JobStats {
 public:
  // One accepted chunk result. `worker` is the registry key of the worker;
  // `who` is called the first time the worker is seen (no copies per chunk).
  // `reference_rate`: the worker's calibrated one-slot rate (0: none).
  void AddAccepted(uint32_t worker, absl::FunctionRef<WorkerIdentityView()> who, int32_t slot,
                   int64_t decrements, int64_t duration_ns, int64_t cpu_ns, int64_t kernel_ns,
                   double reference_rate);

  int64_t busy_ns() const { return busy_ns_; }
  int64_t cpu_ns() const { return cpu_ns_; }
  // Time inside the countdown loop, summed (at most each chunk's duration).
  int64_t kernel_ns() const { return kernel_ns_; }
  const DurationHistogram& durations() const { return durations_; }
  const std::map<uint32_t, WorkerTotals>& workers() const { return workers_; }

  JobCounters counters;

  // Rebuilds the totals saved before a restart.
  void Restore(int64_t busy_ns, int64_t cpu_ns, int64_t kernel_ns, DurationHistogram durations,
               std::map<uint32_t, WorkerTotals> workers);

 private:
  int64_t busy_ns_ = 0;
  int64_t cpu_ns_ = 0;
  int64_t kernel_ns_ = 0;
  DurationHistogram durations_;
  std::map<uint32_t, WorkerTotals> workers_;  // few entries; ordered for stable reports
};

}  // namespace tminus
