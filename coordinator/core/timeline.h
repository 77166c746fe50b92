// The recent chunk attempts of one job, for the dashboard's slot timeline:
// a ring of at most kCapacity events (about 40 bytes each), allocated as it
// fills. Nothing else reads it; the scheduler adds one event per result.
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "coordinator/core/report.h"

namespace tminus {

class TimelineRing {
 public:
  static constexpr size_t kCapacity = 2048;
  // What a finished job keeps, sampled evenly.
  static constexpr size_t kFinishedCapacity = 512;

  struct Event {
    uint32_t worker = 0;  // registry key
    int32_t slot = 0;
    int64_t chunk = 0;
    int32_t attempt = 0;
    int64_t start_wall_ns = 0;  // the worker's clock
    int64_t duration_ns = 0;
    EventOutcome outcome = EventOutcome::kOk;
  };

  void Add(const Event& event);
  size_t size() const { return events_.size(); }

  // The events oldest first, at most `max_events` of them (sampled evenly
  // beyond that), as rows and bars relative to `start_wall_ns`; `name_of`
  // turns a worker key into its name.
  JobTimeline Build(int64_t start_wall_ns, size_t max_events,
                    const std::function<std::string(uint32_t)>& name_of) const;

 private:
  std::vector<Event> events_;
  size_t next_ = 0;        // where the next event goes once full
  bool wrapped_ = false;   // older events were overwritten
};

}  // namespace tminus
