// Builds the DashboardSnapshot every 250 ms: a short visit under the
// scheduler host's lock copies the workers, the totals and the newest jobs;
// details (report, timeline) are made only for jobs someone asked about in
// the last 10 s (Want), and a finished job's details are made once and then
// reused. The HistoryRecorder adds the live view's last minutes (the
// cluster's rate, workers' usage, every job's recent chunks). Then the
// snapshot is published for the HTTP side and the metrics
// are brought up to date. HTTP handlers only ever read Latest().
//
// Threading: one publishing thread between Start() and Stop(); Latest() is
// thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "common/mutex.h"
#include "coordinator/dashboard/history_recorder.h"
#include "coordinator/dashboard/metrics.h"
#include "coordinator/dashboard/snapshot.h"
#include "coordinator/service/scheduler_host.h"

namespace tminus {

class SnapshotPublisher {
 public:
  static constexpr int kWindow = 1000;          // newest jobs kept
  static constexpr size_t kRateSamples = 600;   // per job
  static constexpr int64_t kInterestNs = 10'000'000'000;  // how long a Want lasts

  SnapshotPublisher(SchedulerHost* host, CoordinatorMetrics* metrics, std::function<bool()> ready);
  ~SnapshotPublisher();

  void Start();
  void Stop();
  // Builds and publishes one snapshot now (also what the thread does).
  void PublishOnce();
  std::shared_ptr<const DashboardSnapshot> Latest() const;
  // Someone looks at this job: its details are in the snapshots for a while.
  // Returns a snapshot that has them, waiting for the next one if need be
  // (null if the job is not in the window).
  std::shared_ptr<const DashboardSnapshot> Want(JobId job);

 private:
  struct RateTrack {
    int64_t last_wall_ns = 0;
    int64_t last_decrements = 0;
    std::deque<std::pair<double, double>> series;
  };
  // What is copied under the host's lock.
  struct Raw;
  Raw Collect(const DashboardSnapshot* previous, const absl::flat_hash_map<JobId, int64_t>& wanted);
  void TrackRates(const std::vector<JobSummary>& jobs, int64_t now_wall_ns);

  SchedulerHost* const host_;
  CoordinatorMetrics* const metrics_;
  const std::function<bool()> ready_;
  absl::flat_hash_map<JobId, RateTrack> rates_;  // publishing thread only
  HistoryRecorder history_;                       // publishing thread only
  uint64_t stream_seen_ = 0;  // the scheduler's stream events taken so far (publishing thread)
  mutable Mutex mu_;
  std::shared_ptr<const DashboardSnapshot> latest_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<JobId, int64_t> wanted_ ABSL_GUARDED_BY(mu_);  // job -> until (mono ns)
  bool publish_soon_ ABSL_GUARDED_BY(mu_) = false;
  Mutex publish_mu_;  // one PublishOnce at a time
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tminus
