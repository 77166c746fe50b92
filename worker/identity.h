// What a worker says about itself in its Hello: labels (its own and the
// --label ones) and its hardware topology.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/labels.h"
#include "common/topology.h"

namespace tminus {

// host, arch, cpu_model, executors ("threads+processes"), and node (from
// TMINUS_NODE_NAME, which the Kubernetes manifests fill from the downward
// API) when set.
Labels AutoLabels(const Topology& topology, bool threads, bool processes);

// The automatic labels overlaid with `--label key=value` flags (a flag wins
// over an automatic label of the same key). INVALID_ARGUMENT naming --label
// for a bad flag, or past kMaxWorkerLabels in all.
absl::StatusOr<Labels> WorkerLabels(const std::vector<std::string>& flags,
                                    const Topology& topology, bool threads, bool processes);

}  // namespace tminus
