#include "coordinator/core/cluster_stream.h"

#include <algorithm>

namespace tminus {

void ClusterStream::Add(const Event& event) {
  if (events_.size() < kCapacity) {
    events_.push_back(event);
  } else {
    events_[added_ % kCapacity] = event;
  }
  ++added_;
}

uint64_t ClusterStream::CopySince(uint64_t seen, std::vector<Event>* out) const {
  const uint64_t oldest_held = added_ - events_.size();
  for (uint64_t i = std::max(seen, oldest_held); i < added_; ++i) {
    out->push_back(events_[i % kCapacity]);
  }
  return added_;
}

}  // namespace tminus
