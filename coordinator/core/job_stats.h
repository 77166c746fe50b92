// Streaming timing aggregation for one job: totals, a duration histogram and
// per-worker, per-slot sums. Nothing per chunk is kept.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "common/histogram.h"

namespace tminus {

struct SlotTotals {
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
};

struct WorkerTotals {
  int64_t chunks = 0;
  int64_t decrements = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  std::vector<SlotTotals> slots;  // indexed by the worker's slot number
};

// Value type; thread-compatible.
class JobStats {
 public:
  // One accepted chunk result. `worker` is the registry index of the worker.
  void AddAccepted(uint32_t worker, int32_t slot, int64_t decrements, int64_t duration_ns,
                   int64_t cpu_ns);

  int64_t busy_ns() const { return busy_ns_; }
  int64_t cpu_ns() const { return cpu_ns_; }
  const DurationHistogram& durations() const { return durations_; }
  const std::map<uint32_t, WorkerTotals>& workers() const { return workers_; }

  int64_t retries = 0;          // chunks put back in the queue after a failure or lost lease
  int64_t duplicates = 0;       // results for chunks already done
  int64_t failed_attempts = 0;  // failed results, bad results and lost leases
  int64_t lease_expiries = 0;   // leases lost to a silent worker
  int64_t backups = 0;          // backup attempts for stragglers
  int64_t handed_back = 0;      // chunks returned unfinished by draining workers

  // Rebuilds the totals saved before a restart.
  void Restore(int64_t busy_ns, int64_t cpu_ns, DurationHistogram durations,
               std::map<uint32_t, WorkerTotals> workers);

 private:
  int64_t busy_ns_ = 0;
  int64_t cpu_ns_ = 0;
  DurationHistogram durations_;
  std::map<uint32_t, WorkerTotals> workers_;  // few entries; ordered for stable reports
};

}  // namespace tminus
