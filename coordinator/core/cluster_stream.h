// The recent chunk attempts of the whole cluster, every job's, for the
// dashboard's chunk stream: a ring of kCapacity events, each numbered as it
// is added so that a reader takes only what is new since its last visit.
// The scheduler adds one event per result (beside the job's TimelineRing).
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "coordinator/core/report.h"
#include "coordinator/core/types.h"

namespace tminus {

class ClusterStream {
 public:
  static constexpr size_t kCapacity = 4096;

  struct Event {
    JobId job = 0;
    uint32_t worker = 0;  // registry key
    int32_t slot = 0;
    int64_t chunk = 0;
    int64_t received_wall_ns = 0;  // the coordinator's clock, when the result came
    int64_t duration_ns = 0;       // the worker's measure
    EventOutcome outcome = EventOutcome::kOk;
  };

  void Add(const Event& event);
  // Appends to *out the events added after the first `seen` ones that the
  // ring still holds, oldest first; returns how many were ever added (the
  // next call's `seen`).
  uint64_t CopySince(uint64_t seen, std::vector<Event>* out) const;
  uint64_t added() const { return added_; }

 private:
  std::vector<Event> events_;  // event i lives at i % kCapacity
  uint64_t added_ = 0;
};

}  // namespace tminus
