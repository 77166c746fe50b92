#include "worker/credit_policy.h"

#include <algorithm>
#include <cmath>

namespace tminus {

int64_t CreditPolicy::Desired() const {
  if (fixed_prefetch_ >= 0) return slots_ + fixed_prefetch_;
  if (mean_chunk_ns_ <= 0) return 2 * int64_t{slots_};
  const double per_slot = std::ceil(static_cast<double>(kTargetQueueNs) / mean_chunk_ns_);
  const auto prefetch_per_slot =
      static_cast<int64_t>(std::clamp(per_slot, 1.0, static_cast<double>(kMaxPrefetchPerSlot)));
  return slots_ + slots_ * prefetch_per_slot;
}

void CreditPolicy::Observe(int64_t count, int64_t busy_ns) {
  if (count <= 0) return;
  const double mean = std::max(static_cast<double>(std::max<int64_t>(busy_ns, 0)) / count, 1.0);
  // Weighted by batch size, so one slow outlier does not swing a big batch.
  const double weight = std::min(1.0, static_cast<double>(count) / 64.0);
  mean_chunk_ns_ = mean_chunk_ns_ <= 0 ? mean : (1 - weight) * mean_chunk_ns_ + weight * mean;
}

}  // namespace tminus
