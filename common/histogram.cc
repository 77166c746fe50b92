#include "common/histogram.h"

#include <algorithm>
#include <cmath>

namespace tminus {

int DurationHistogram::BucketOf(uint64_t value) {
  constexpr uint64_t kLinear = uint64_t{1} << kSubBits;
  if (value < kLinear) return static_cast<int>(value);
  const int exponent = 63 - __builtin_clzll(value);  // >= kSubBits
  const int sub = static_cast<int>((value >> (exponent - kSubBits)) & (kLinear - 1));
  return static_cast<int>(kLinear) + (exponent - kSubBits) * static_cast<int>(kLinear) + sub;
}

uint64_t DurationHistogram::BucketLow(int bucket) {
  constexpr int kLinear = 1 << kSubBits;
  if (bucket < kLinear) return static_cast<uint64_t>(bucket);
  const int exponent = (bucket - kLinear) / kLinear + kSubBits;
  const uint64_t sub = static_cast<uint64_t>((bucket - kLinear) % kLinear);
  return (uint64_t{1} << exponent) + (sub << (exponent - kSubBits));
}

void DurationHistogram::Add(int64_t value_ns) {
  const int64_t value = std::max<int64_t>(value_ns, 0);
  ++buckets_[BucketOf(static_cast<uint64_t>(value))];
  if (count_ == 0 || value < min_) min_ = value;
  if (count_ == 0 || value > max_) max_ = value;
  ++count_;
}

int64_t DurationHistogram::CountAtOrBelow(int64_t value_ns) const {
  if (value_ns < 0) return 0;
  const int last = BucketOf(static_cast<uint64_t>(value_ns));
  int64_t count = 0;
  for (int b = 0; b < last && b < kBuckets; ++b) count += buckets_[b];
  // The bucket holding value_ns counts when value_ns is its last value.
  if (last + 1 < kBuckets && BucketLow(last + 1) == static_cast<uint64_t>(value_ns) + 1) {
    count += buckets_[last];
  }
  return count;
}

int64_t DurationHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  // The rank of the sample at quantile q (nearest-rank definition).
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * count_)));
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      // Midpoint of the bucket, clamped to what was really seen.
      const uint64_t low = BucketLow(b);
      const uint64_t high = b + 1 < kBuckets ? BucketLow(b + 1) : low;
      const int64_t mid = static_cast<int64_t>(low + (high - low) / 2);
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

Percentiles DurationHistogram::Summary() const {
  return {count_, min_, Quantile(0.5), Quantile(0.9), Quantile(0.99), max_};
}

std::vector<std::pair<int32_t, int64_t>> DurationHistogram::NonEmptyBuckets() const {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (int b = 0; b < kBuckets; ++b) {
    if (buckets_[b] != 0) out.emplace_back(b, buckets_[b]);
  }
  return out;
}

DurationHistogram DurationHistogram::Restore(
    const std::vector<std::pair<int32_t, int64_t>>& buckets, int64_t count, int64_t min,
    int64_t max) {
  DurationHistogram h;
  for (const auto& [bucket, n] : buckets) {
    if (bucket >= 0 && bucket < kBuckets) h.buckets_[bucket] = n;
  }
  h.count_ = count;
  h.min_ = min;
  h.max_ = max;
  return h;
}

}  // namespace tminus
