// Where each point of a scaling study runs: the cluster as the study sees
// it (connected workers grouped into hosts by their `host` label) and, for
// a point, which workers may take its chunks and how many each. Pure
// functions over ListWorkers: unit-tested without a cluster.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/labels.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

enum class Placement { kAny, kPacked, kSpread };
const char* PlacementName(Placement placement);  // "any", "packed", "spread"

struct ScaleHost {
  std::string name;                  // the workers' `host` label
  std::vector<std::string> workers;  // worker ids, sorted
  int slots = 0;
  int physical_cores = 0;  // the most any of its workers reports; 0: unknown
};

struct ScaleCluster {
  std::vector<ScaleHost> hosts;  // sorted by name
  bool restricted = false;       // --on or --workers narrowed it

  int slots() const;
  int workers() const;
  // Of all hosts; 0 when any host's is unknown.
  int physical_cores() const;
  // Slot counts at which a packed placement has filled the first 1, 2, ... hosts.
  std::vector<int> HostBoundaries() const;
};

// The connected workers matching the selector and names (either may be
// empty), grouped by host. FAILED_PRECONDITION when none match.
absl::StatusOr<ScaleCluster> ClusterOf(const v1::ListWorkersResponse& workers,
                                       const Labels& selector,
                                       const std::vector<std::string>& names);

// One job's placement.
struct PointPlan {
  int slots = 0;                     // the job's max_slots
  std::vector<std::string> workers;  // empty: any connected worker
  int per_worker = 0;                // max_slots_per_worker; 0: no cap
  int physical_cores = 0;            // of the hosts it may use; 0: unknown
};

// `slots` slots placed as asked: any (whoever asks first), packed (fill the
// first hosts), spread (at most ceil(slots / workers) per worker).
PointPlan PlanSlots(const ScaleCluster& cluster, int slots, Placement placement);
// Every slot of the first `hosts` hosts. Requires 1 <= hosts <= hosts.size().
PointPlan PlanHosts(const ScaleCluster& cluster, int hosts);

// 1, 2, 4, ... below the total, the total, and the physical cores (when
// known and below the total): where hyper-threads or time-slicing start.
std::vector<int> DefaultSlotList(int total, int physical_cores = 0);

}  // namespace tminus
