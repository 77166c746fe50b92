#include "worker/batch_policy.h"

#include <algorithm>

namespace tminus {

size_t BatchPolicy::Size(uint64_t job, size_t queued, size_t slots) const {
  const auto mean = mean_chunk_ns_.find(job);
  if (mean == mean_chunk_ns_.end()) return 1;
  const double fits = static_cast<double>(kBatchBudgetNs) / mean->second;
  // Never more than this slot's share of the queue: the tail spreads out.
  const size_t share = std::max<size_t>(1, queued / slots);
  return std::min({static_cast<size_t>(std::max(fits, 1.0)), kMaxBatch, share});
}

double BatchPolicy::mean_chunk_ns(uint64_t job) const {
  const auto mean = mean_chunk_ns_.find(job);
  return mean == mean_chunk_ns_.end() ? 0 : mean->second;
}

}  // namespace tminus
