// Worker records (one per worker_id, kept after it disconnects, for listings
// and reports, until --forget-workers-after) and sessions (one per live
// stream).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "common/labels.h"
#include "common/process_usage.h"
#include "coordinator/core/types.h"

namespace tminus {

// One attempt of one chunk: what a result names, and what a lease fences.
struct AttemptKey {
  JobId job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  bool operator==(const AttemptKey& o) const {
    return job == o.job && chunk == o.chunk && attempt == o.attempt;
  }
  template <typename H>
  friend H AbslHashValue(H h, const AttemptKey& k) {
    return H::combine(std::move(h), k.job, k.chunk, k.attempt);
  }
};

// Leases a worker held in sessions that ended before their results came
// (a broken stream, an expiry, a replacement): a later session of the same
// worker may still report them, resent after its reconnect. Bounded: past
// kCapacity the oldest are forgotten (their chunks went back to the queue
// when the session ended, so a result dropped for that costs only a rerun).
class ReleasedLeases {
 public:
  static constexpr size_t kCapacity = size_t{1} << 18;  // the worker's default unacked bound
  void Add(const AttemptKey& key) {
    if (!keys_.insert(key).second) return;
    order_.push_back(key);
    if (order_.size() > kCapacity) {
      keys_.erase(order_.front());
      order_.pop_front();
    }
  }
  // True, and forgets it, if the worker held this attempt.
  bool Take(const AttemptKey& key) { return keys_.erase(key) > 0; }
  size_t size() const { return keys_.size(); }

 private:
  std::deque<AttemptKey> order_;  // oldest first; may name keys taken since
  absl::flat_hash_set<AttemptKey> keys_;
};

struct WorkerRecord {
  WorkerHello hello;
  WorkerState state = WorkerState::kConnected;
  SessionId session = 0;  // 0 when disconnected
  int64_t connected_wall_ns = 0;
  int64_t last_seen_wall_ns = 0;
  int64_t chunks_done = 0;
  int64_t decrements_done = 0;
  int64_t busy_ns = 0;
  int64_t sessions = 0;
  int64_t lease_expiries = 0;
  int64_t drains = 0;
  int64_t leases_lost = 0;
  // Drained by an admin: its sessions get no leases until undrained. Kept
  // across its reconnects (not across a coordinator restart).
  bool drained = false;
  Calibration calibration;  // the latest; reset by a new incarnation without one
  int64_t calibrated_mono_ns = 0;  // when it was measured, on the coordinator's clock
  ProcessUsage usage;              // its latest report
  bool usage_reported = false;     // by this incarnation
  double cpu_cores = 0;            // between its last two reports
  ReleasedLeases released;
};

using ChunkKey = std::pair<JobId, int64_t>;

struct Session {
  SessionId id = 0;
  uint32_t worker = 0;  // key of the worker's record
  // The Hello's, what placement matches; it may always run the countdown.
  WorkerIdentity identity;
  bool draining = false;  // the worker is stopping (it sent Draining)
  bool drained = false;   // an admin drained the worker
  int64_t credits = 0;  // granted and not yet used by a lease
  int64_t last_seen_mono_ns = 0;
  // Results it sent that no lease of its worker backs (fencing.cc); past
  // SchedulerOptions::max_unleased_results the session is ended.
  int64_t unleased_results = 0;
  absl::flat_hash_set<ChunkKey> leases;
  double reference_rate = 0;  // the worker's calibrated one-slot rate; 0: none
  // Chunks of each job on a slot now, as the worker last reported (Running).
  std::vector<std::pair<JobId, int32_t>> running;
  Outbox outbox;

  bool takes_leases() const { return !draining && !drained; }
};

}  // namespace tminus
