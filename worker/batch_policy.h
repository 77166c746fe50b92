// How the slot pool batches short chunks, as plain code over durations and a
// clock (the pool passes the real one; tests step a fake one).
//
//  - BatchPolicy: how many of a job's queued leases a runner takes at once.
//    About kBatchBudgetNs of work at the moving average of the job's chunk
//    durations here, at most kMaxBatch, and never more than one slot's share
//    of the queue, so the last chunks of a job still go to idle slots. One at
//    a time until a chunk of the job has run to the end here.
//  - ResultFlush: when a runner hands on the results it holds before its
//    batch ends. Once the batch has run more than twice its budget since it
//    started (or since its results last went), what finished goes at once.
//
// Threading: thread-compatible. The pool guards its BatchPolicy with its
// mutex; each runner owns the ResultFlush of the batch it runs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "common/clock.h"

namespace tminus {

class BatchPolicy {
 public:
  static constexpr int64_t kBatchBudgetNs = 100'000;
  static constexpr size_t kMaxBatch = 64;

  // A chunk of `job` ran to the end, taking `chunk_ns` (runs that were
  // stopped or failed say nothing of how long the job's chunks take). Inline:
  // the pool calls it once per chunk, under its lock.
  void Observe(uint64_t job, int64_t chunk_ns) {
    const double ns = std::max(1.0, static_cast<double>(chunk_ns));
    auto [mean, first] = mean_chunk_ns_.try_emplace(job, ns);
    if (!first) mean->second = 0.8 * mean->second + 0.2 * ns;
  }
  // Nothing of `job` is left here: its next batch starts at one lease again.
  void Forget(uint64_t job) { mean_chunk_ns_.erase(job); }
  // Leases of `job` to take at once, with `queued` leases waiting in the
  // queue that `slots` runners share. At least 1.
  size_t Size(uint64_t job, size_t queued, size_t slots) const;
  // The moving average of `job`'s chunk durations; 0 before the first.
  double mean_chunk_ns(uint64_t job) const;

 private:
  absl::flat_hash_map<uint64_t, double> mean_chunk_ns_;
};

class ResultFlush {
 public:
  // A batch starts running now.
  explicit ResultFlush(const Clock* clock) : held_since_ns_(clock->MonoNs()) {}

  // Since when the results held now have been held.
  int64_t held_since_ns() const { return held_since_ns_; }
  // True when the results held (`holding`) should go now, the last lease run
  // having ended at `last_end_mono_ns` (0 while none has run).
  bool Due(bool holding, int64_t last_end_mono_ns) const {
    return holding && last_end_mono_ns - held_since_ns_ > 2 * BatchPolicy::kBatchBudgetNs;
  }
  // The results held went; what finishes next is held from the end of the
  // last run on.
  void Sent(int64_t last_end_mono_ns) { held_since_ns_ = last_end_mono_ns; }

 private:
  int64_t held_since_ns_;
};

}  // namespace tminus
