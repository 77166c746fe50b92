// Keeps the last minutes of the cluster for the dashboard's live view: the
// cluster's rate and busy slots once a second, each worker's CPU and memory
// as it reports them, and every job's chunk attempts of the last minute.
// The SnapshotPublisher feeds it on each publish and puts what Record
// returns in the snapshot: a new ClusterHistory at most once a second (the
// same one in between, so a publish copies nothing).
//
// Thread-compatible: the publishing thread alone uses it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "coordinator/dashboard/snapshot.h"

namespace tminus {

class HistoryRecorder {
 public:
  static constexpr size_t kClusterSamples = 600;  // 10 minutes
  static constexpr size_t kUsageSamples = 300;    // 5 minutes per worker
  static constexpr size_t kStreamEvents = 4096;   // the scheduler's ClusterStream holds as many
  static constexpr int64_t kStreamWindowNs = 60'000'000'000;
  static constexpr int64_t kSampleEveryNs = 1'000'000'000;

  // Chunk attempts reported since the last call, oldest first.
  void AddStream(std::vector<StreamEvent> events);
  // The history as of now (`now_mono_ns` paces the samples and times the
  // rate, `now_wall_ns` labels them: a wall clock set back does not stall
  // it); `decrements` is the cluster's running total of accepted decrements
  // (SchedulerCounters::decrements).
  std::shared_ptr<const ClusterHistory> Record(int64_t now_wall_ns, int64_t now_mono_ns,
                                               int64_t decrements,
                                               const ClusterTotals& totals,
                                               const std::vector<WorkerView>& workers);

 private:
  void SampleCluster(int64_t now_wall_ns, int64_t now_mono_ns, int64_t decrements,
                     const ClusterTotals& totals);
  void SampleUsage(int64_t now_wall_ns, const std::vector<WorkerView>& workers);
  void DropOldStream(int64_t now_wall_ns);

  std::shared_ptr<const ClusterHistory> latest_;
  int64_t last_sample_mono_ns_ = 0;
  int64_t last_decrements_ = 0;
  std::deque<ClusterSample> cluster_;
  absl::flat_hash_map<std::string, std::deque<UsageSample>> usage_;
  std::deque<StreamEvent> stream_;
};

}  // namespace tminus
