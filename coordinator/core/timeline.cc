#include "coordinator/core/timeline.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tminus {

void TimelineRing::Add(const Event& event) {
  if (events_.size() < kCapacity) {
    events_.push_back(event);
    return;
  }
  events_[next_] = event;
  next_ = (next_ + 1) % kCapacity;
  wrapped_ = true;
}

JobTimeline TimelineRing::Build(int64_t start_wall_ns, size_t max_events,
                                const std::function<std::string(uint32_t)>& name_of) const {
  JobTimeline timeline;
  timeline.start_wall_ns = start_wall_ns;
  timeline.truncated = wrapped_ || events_.size() > max_events;
  const size_t count = std::min(events_.size(), max_events);
  // Rows sorted by worker name, then slot.
  std::map<std::pair<std::string, int32_t>, int32_t> rows;
  std::vector<std::pair<std::string, int32_t>> row_of_event;
  row_of_event.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // Oldest first; an even sample when there are more than max_events.
    const size_t index = (next_ + i * events_.size() / count) % events_.size();
    const Event& event = events_[index];
    auto key = std::make_pair(name_of(event.worker), event.slot);
    rows.emplace(key, 0);
    row_of_event.push_back(std::move(key));
  }
  int32_t row = 0;
  for (auto& [key, index] : rows) {
    index = row++;
    timeline.rows.push_back(TimelineRow{key.first, key.second});
  }
  timeline.events.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t index = (next_ + i * events_.size() / count) % events_.size();
    const Event& event = events_[index];
    TimelineEvent out;
    out.row = rows.at(row_of_event[i]);
    out.chunk = event.chunk;
    out.attempt = event.attempt;
    out.start_ns = event.start_wall_ns - start_wall_ns;
    out.end_ns = out.start_ns + event.duration_ns;
    out.outcome = event.outcome;
    timeline.events.push_back(out);
  }
  return timeline;
}

}  // namespace tminus
