#include "coordinator/core/job_stats.h"

#include <algorithm>
#include <utility>

namespace tminus {

void JobStats::AddAccepted(uint32_t worker, absl::FunctionRef<WorkerIdentityView()> who,
                           int32_t slot,
                           int64_t decrements, int64_t duration_ns, int64_t cpu_ns,
                           int64_t kernel_ns, double reference_rate) {
  const int64_t duration = std::max<int64_t>(duration_ns, 0);
  busy_ns_ += duration;
  kernel_ns_ += std::clamp<int64_t>(kernel_ns, 0, duration);
  cpu_ns_ += std::max<int64_t>(cpu_ns, 0);
  durations_.Add(duration);
  auto [entry, first] = workers_.try_emplace(worker);
  WorkerTotals& totals = entry->second;
  if (first) totals.who = who();
  ++totals.chunks;
  totals.decrements += decrements;
  totals.busy_ns += duration;
  totals.cpu_ns += std::max<int64_t>(cpu_ns, 0);
  if (reference_rate > 0) {
    totals.reference_ns += static_cast<int64_t>(static_cast<double>(decrements) * 1e9 / reference_rate);
  } else {
    totals.unreferenced_decrements += decrements;
  }
  const size_t index = static_cast<size_t>(std::max(slot, 0));
  if (index >= totals.slots.size()) totals.slots.resize(index + 1);
  SlotTotals& slot_totals = totals.slots[index];
  ++slot_totals.chunks;
  slot_totals.decrements += decrements;
  slot_totals.busy_ns += duration;
}

void JobStats::Restore(int64_t busy_ns, int64_t cpu_ns, int64_t kernel_ns,
                       DurationHistogram durations, std::map<uint32_t, WorkerTotals> workers) {
  busy_ns_ = busy_ns;
  cpu_ns_ = cpu_ns;
  kernel_ns_ = kernel_ns;
  durations_ = durations;
  workers_ = std::move(workers);
}

}  // namespace tminus
