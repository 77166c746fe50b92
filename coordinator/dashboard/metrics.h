// The coordinator's Prometheus metrics (every one listed in docs/metrics.md),
// kept in a prometheus-cpp registry and rendered by its TextSerializer.
// Counters and gauges about scheduling are brought up to date from each
// published snapshot (the hot path only bumps plain integers in the core);
// the store's commit time and each RPC's time are observed where they end.
//
// Threading: Update() from the snapshot publisher's thread; Observe*() and
// Text() from any thread (prometheus-cpp's metrics are thread-safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/process_metrics.h"
#include "coordinator/dashboard/snapshot.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tminus {

class CoordinatorMetrics {
 public:
  CoordinatorMetrics();

  void Update(const DashboardSnapshot& snapshot);
  // One store commit: its time, and whether it failed.
  void ObserveCommit(double seconds, bool failed);
  // `method` is the gRPC method's full name, `code` its status code name.
  void ObserveRpc(const std::string& method, const std::string& code, double seconds);
  std::string Text() const;

  // The chunk-duration bucket bounds, in seconds (also in docs/metrics.md).
  static const std::vector<double>& ChunkBuckets();

 private:
  // A counter that follows a cumulative count from the snapshot.
  struct Follower {
    prometheus::Counter* counter;
    int64_t SchedulerCounters::*field;
    int64_t seen = 0;
  };

  std::shared_ptr<prometheus::Registry> registry_;
  const ProcessMetrics process_{"coordinator"};
  std::vector<Follower> followers_;
  prometheus::Family<prometheus::Counter>* jobs_finished_;
  prometheus::Gauge* workers_connected_;
  prometheus::Gauge* slots_total_;
  prometheus::Gauge* slots_busy_;
  prometheus::Gauge* jobs_queued_;
  prometheus::Gauge* jobs_running_;
  prometheus::Gauge* chunks_queued_;
  prometheus::Gauge* ready_;
  prometheus::Histogram* chunk_seconds_;
  std::vector<int64_t> chunk_buckets_seen_;
  int64_t chunk_busy_seen_ = 0;
  prometheus::Histogram* commit_seconds_;
  prometheus::Counter* commit_failures_;
  prometheus::Family<prometheus::Histogram>* rpc_seconds_;
};

}  // namespace tminus
