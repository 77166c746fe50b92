#include "coordinator/dashboard/history_recorder.h"

#include <algorithm>
#include <utility>

namespace tminus {
namespace {

double Seconds(int64_t wall_ns) { return static_cast<double>(wall_ns) * 1e-9; }

template <typename T>
void Push(std::deque<T>& samples, T sample, size_t capacity) {
  samples.push_back(std::move(sample));
  if (samples.size() > capacity) samples.pop_front();
}

}  // namespace

void HistoryRecorder::AddStream(std::vector<StreamEvent> events) {
  for (StreamEvent& event : events) Push(stream_, std::move(event), kStreamEvents);
}

std::shared_ptr<const ClusterHistory> HistoryRecorder::Record(
    int64_t now_wall_ns, int64_t now_mono_ns, int64_t decrements, const ClusterTotals& totals,
    const std::vector<WorkerView>& workers) {
  if (latest_ != nullptr && now_mono_ns - last_sample_mono_ns_ < kSampleEveryNs) return latest_;
  SampleCluster(now_wall_ns, now_mono_ns, decrements, totals);
  SampleUsage(now_wall_ns, workers);
  DropOldStream(now_wall_ns);
  auto history = std::make_shared<ClusterHistory>();
  history->cluster.assign(cluster_.begin(), cluster_.end());
  for (const auto& [worker, samples] : usage_) {
    history->usage.emplace(worker, std::vector<UsageSample>(samples.begin(), samples.end()));
  }
  history->stream.assign(stream_.begin(), stream_.end());
  latest_ = std::move(history);
  return latest_;
}

void HistoryRecorder::SampleCluster(int64_t now_wall_ns, int64_t now_mono_ns,
                                    int64_t decrements, const ClusterTotals& totals) {
  ClusterSample sample;
  sample.wall_s = Seconds(now_wall_ns);
  // The first sample has no second before it; a total that went back (it
  // never should) reads as no progress rather than a negative rate.
  if (latest_ != nullptr && now_mono_ns > last_sample_mono_ns_) {
    sample.rate = static_cast<double>(std::max<int64_t>(0, decrements - last_decrements_)) /
                  Seconds(now_mono_ns - last_sample_mono_ns_);
  }
  sample.slots_busy = totals.slots_busy;
  sample.slots_total = totals.slots_total;
  Push(cluster_, sample, kClusterSamples);
  last_sample_mono_ns_ = now_mono_ns;
  last_decrements_ = decrements;
}

void HistoryRecorder::SampleUsage(int64_t now_wall_ns, const std::vector<WorkerView>& workers) {
  absl::flat_hash_map<std::string, std::deque<UsageSample>> kept;
  for (const WorkerView& worker : workers) {
    auto samples = std::move(usage_[worker.worker_id]);
    if (worker.usage_reported && worker.state != WorkerState::kDisconnected) {
      Push(samples, UsageSample{Seconds(now_wall_ns), worker.cpu_cores, worker.usage.resident_bytes},
           kUsageSamples);
    }
    if (!samples.empty()) kept.emplace(worker.worker_id, std::move(samples));
  }
  usage_ = std::move(kept);  // forgotten workers are dropped
}

void HistoryRecorder::DropOldStream(int64_t now_wall_ns) {
  // Attempts are added in the order their results came: drop from the
  // front while the oldest came before the window.
  const int64_t cutoff = now_wall_ns - kStreamWindowNs;
  while (!stream_.empty() && stream_.front().end_wall_ns < cutoff) stream_.pop_front();
}

}  // namespace tminus
