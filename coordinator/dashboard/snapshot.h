// An immutable picture of the coordinator for its HTTP side (the page, the
// JSON API, /metrics), published every 250 ms by the SnapshotPublisher:
// HTTP handlers read it through a shared pointer and never take the
// scheduler's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "coordinator/core/report.h"

namespace tminus {

struct JobSummary {
  JobView view;
  double rate = 0;     // decrements per second over the elapsed time
  int64_t eta_ns = 0;  // 0: unknown or done
};

struct JobDetail {
  JobReport report;
  std::vector<std::pair<double, double>> rate_series;  // (wall seconds, decrements/s)
  JobTimeline timeline;
};

struct DashboardSnapshot {
  int64_t generated_wall_ns = 0;
  bool ready = true;  // listener accepting and the store committing
  ClusterTotals totals;
  SchedulerCounters counters;
  // Accepted chunk durations: (upper bound in seconds, chunks at or below it).
  std::vector<std::pair<double, int64_t>> chunk_seconds_buckets;
  std::vector<WorkerView> workers;
  std::vector<std::shared_ptr<const JobSummary>> jobs;  // newest first, the window
  absl::flat_hash_map<JobId, std::shared_ptr<const JobDetail>> details;
  std::vector<std::shared_ptr<const StudyRecord>> studies;  // newest first
};

}  // namespace tminus
