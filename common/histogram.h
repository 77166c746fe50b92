// A fixed-size log-linear histogram of durations: streaming percentiles
// without keeping every sample. Relative error of a percentile <= 1/16.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace tminus {

struct Percentiles {
  int64_t count = 0;
  int64_t min = 0;
  int64_t p50 = 0;
  int64_t p90 = 0;
  int64_t p99 = 0;
  int64_t max = 0;
};

// Value type; thread-compatible. 8 KiB.
class DurationHistogram {
 public:
  void Add(int64_t value_ns);
  int64_t count() const { return count_; }
  // q in [0, 1]; 0 when empty. Exact for min and max.
  int64_t Quantile(double q) const;
  Percentiles Summary() const;
  // Samples in buckets that lie wholly at or below `value_ns` (within the
  // histogram's 1/16 resolution of the true count): for Prometheus buckets.
  int64_t CountAtOrBelow(int64_t value_ns) const;

  // For persistence: the non-empty buckets, and rebuilding from them.
  std::vector<std::pair<int32_t, int64_t>> NonEmptyBuckets() const;
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  static DurationHistogram Restore(const std::vector<std::pair<int32_t, int64_t>>& buckets,
                                   int64_t count, int64_t min, int64_t max);

 private:
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr int kBuckets = 1024;
  static int BucketOf(uint64_t value);
  static uint64_t BucketLow(int bucket);

  std::array<int64_t, kBuckets> buckets_{};
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace tminus
