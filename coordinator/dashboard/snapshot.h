// An immutable picture of the coordinator for its HTTP side (the page, the
// JSON API, /metrics), published every 250 ms by the SnapshotPublisher:
// HTTP handlers read it through a shared pointer and never take the
// scheduler's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "coordinator/core/report.h"

namespace tminus {

struct JobSummary {
  JobView view;
  double rate = 0;     // decrements per second over the elapsed time
  double rate_now = 0;  // over the last 5 s while running
  int64_t eta_ns = 0;  // 0: unknown or done
};

struct JobDetail {
  JobReport report;
  std::vector<std::pair<double, double>> rate_series;  // (wall seconds, decrements/s)
  JobTimeline timeline;
};

// One second of the cluster, for the overview's live chart.
struct ClusterSample {
  double wall_s = 0;
  double rate = 0;  // decrements per second accepted in the second before
  int64_t slots_busy = 0;
  int64_t slots_total = 0;
};

// A worker's usage report as last heard at that second, for its page.
struct UsageSample {
  double wall_s = 0;
  double cpu_cores = 0;
  int64_t resident_bytes = 0;
};

// One chunk attempt of any job, for the cluster-wide chunk stream.
struct StreamEvent {
  JobId job = 0;
  std::string worker_id;
  int32_t slot = 0;
  int64_t chunk = 0;
  int64_t end_wall_ns = 0;  // when the result came (the coordinator's clock)
  int64_t duration_ns = 0;  // the worker's measure
  EventOutcome outcome = EventOutcome::kOk;
};

// The last minutes of the cluster, made once a second.
struct ClusterHistory {
  std::vector<ClusterSample> cluster;  // oldest first
  absl::flat_hash_map<std::string, std::vector<UsageSample>> usage;  // by worker_id
  std::vector<StreamEvent> stream;     // oldest first, ended in the last minute
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
  std::shared_ptr<const ClusterHistory> history;  // set by the publisher

  // The history, or an empty one (a snapshot made by hand, in tests).
  const ClusterHistory& live() const {
    static const ClusterHistory kNone;
    return history != nullptr ? *history : kNone;
  }
};

}  // namespace tminus
