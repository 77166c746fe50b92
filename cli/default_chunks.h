// The chunking `tminus submit` picks when neither --chunks nor --chunk-size
// is given. The rule: chunks of about 100 ms of work at the cluster's measured
// rate per slot, and at least 4 chunks per slot (so the tail balances), but
// never more chunks than decrements nor more than a job may hold.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "cli/client.h"
#include "common/job_spec.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

inline constexpr double kDefaultChunkSeconds = 0.1;
inline constexpr int64_t kDefaultChunksPerSlot = 4;

struct DefaultChunking {
  int64_t chunks = 1;
  double rate_per_slot = 0;  // decrements/s the rule used
  std::string rate_source;   // "measured on the cluster" or "of this machine (no history yet)"
  int slots = 0;             // connected slots the rule used
};

// The rule itself, for n >= 1, rate_per_slot > 0 and slots >= 0.
int64_t DefaultChunkCount(int64_t n, double rate_per_slot, int slots);

// Decrements per second and slot that workers have done so far (their
// decrements over their busy time), or 0 when they have done too little to say.
double MeasuredRatePerSlot(const v1::ListWorkersResponse& workers);
int ConnectedSlots(const v1::ListWorkersResponse& workers);

// Runs the countdown here for ~20 ms: the rate when the cluster has no history.
double LocalRatePerThread();

// "40 chunks of ~2.5e+07 decrements (about 100 ms each at 2.5 G/s per slot,
// measured on the cluster; at least 4 per slot over 2 slots)".
std::string DescribeDefaultChunking(int64_t n, const DefaultChunking& picked);

// When spec has no chunking yet: asks the coordinator for its workers, picks
// the count by the rule and sets spec->chunk_count. Says what it picked on
// `note` ("chunking: ..."). An unreachable coordinator is an error.
absl::Status PickDefaultChunking(JobClient& client, JobSpec* spec, std::ostream& note);

}  // namespace tminus
