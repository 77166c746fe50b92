#include "worker/identity.h"

#include <sys/utsname.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/host.h"
#include "common/status_macros.h"

namespace tminus {

Labels AutoLabels(const Topology& topology, bool threads, bool processes) {
  Labels labels;
  labels["host"] = SanitizeLabelValue(Hostname());
  utsname name{};
  labels["arch"] = uname(&name) == 0 ? SanitizeLabelValue(name.machine) : "unknown";
  labels["cpu_model"] = topology.cpu_model.empty() ? "unknown" : topology.cpu_model;
  labels["executors"] = threads && processes ? "threads+processes"
                        : threads            ? "threads"
                                             : "processes";
  if (const char* node = std::getenv("TMINUS_NODE_NAME"); node != nullptr && *node != '\0') {
    labels["node"] = SanitizeLabelValue(node);
  }
  return labels;
}

absl::StatusOr<Labels> WorkerLabels(const std::vector<std::string>& flags,
                                    const Topology& topology, bool threads, bool processes) {
  Labels given;
  for (const std::string& flag : flags) {
    RETURN_IF_ERROR(ParseLabel(flag, "--label", &given));
  }
  Labels labels = AutoLabels(topology, threads, processes);
  for (auto& [key, value] : given) labels[key] = std::move(value);
  if (labels.size() > kMaxWorkerLabels) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--label: at most ", kMaxWorkerLabels, " labels in all (", labels.size() - given.size(),
        " are automatic), got ", labels.size()));
  }
  return labels;
}

}  // namespace tminus
