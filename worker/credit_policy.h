// How many chunks a worker wants granted to the coordinator at once: its
// slots plus a prefetch. With a fixed prefetch that is all; by default the
// prefetch adapts to the chunk durations seen, so that each slot has about
// `kTargetQueueNs` of work queued: one chunk for long chunks (best balance
// across workers), thousands for tiny ones (no slot ever waits for a round
// trip). The session core (WorkerSession) keeps the count of what is out.
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>

namespace tminus {

class CreditPolicy {
 public:
  static constexpr int64_t kTargetQueueNs = 10'000'000;  // 10 ms of queued work per slot
  static constexpr int64_t kMaxPrefetchPerSlot = 4'096;

  // fixed_prefetch < 0: adaptive.
  CreditPolicy(int slots, int fixed_prefetch) : slots_(slots), fixed_prefetch_(fixed_prefetch) {}

  // `count` chunks finished, their durations summing to `busy_ns`.
  void Observe(int64_t count, int64_t busy_ns);
  // Leases plus unused credits the worker wants out at once.
  int64_t Desired() const;
  // The moving average of chunk durations; 0 until the first result.
  double mean_chunk_ns() const { return mean_chunk_ns_; }

 private:
  int slots_;
  int fixed_prefetch_;
  double mean_chunk_ns_ = 0;  // moving average; 0 until the first result
};

}  // namespace tminus
