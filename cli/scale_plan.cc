#include "cli/scale_plan.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"

namespace tminus {
namespace {

const std::string& HostOf(const v1::WorkerInfo& worker) {
  const auto label = worker.labels().find("host");
  return label != worker.labels().end() && !label->second.empty() ? label->second : worker.host();
}

bool Named(const std::vector<std::string>& names, const std::string& id) {
  return names.empty() || std::find(names.begin(), names.end(), id) != names.end();
}

// Takes the first `count` hosts: their workers, and their physical cores
// (0 when any host's are unknown).
void UseHosts(const ScaleCluster& cluster, size_t count, PointPlan* plan) {
  int cores = 0;
  bool known = true;
  for (size_t i = 0; i < count && i < cluster.hosts.size(); ++i) {
    const ScaleHost& host = cluster.hosts[i];
    plan->workers.insert(plan->workers.end(), host.workers.begin(), host.workers.end());
    cores += host.physical_cores;
    known = known && host.physical_cores > 0;
  }
  plan->physical_cores = known ? cores : 0;
}

}  // namespace

const char* PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kPacked: return "packed";
    case Placement::kSpread: return "spread";
    case Placement::kAny: break;
  }
  return "any";
}

int ScaleCluster::slots() const {
  int total = 0;
  for (const ScaleHost& host : hosts) total += host.slots;
  return total;
}

int ScaleCluster::workers() const {
  int total = 0;
  for (const ScaleHost& host : hosts) total += static_cast<int>(host.workers.size());
  return total;
}

int ScaleCluster::physical_cores() const {
  PointPlan all;
  UseHosts(*this, hosts.size(), &all);
  return all.physical_cores;
}

std::vector<int> ScaleCluster::HostBoundaries() const {
  std::vector<int> boundaries;
  int total = 0;
  for (const ScaleHost& host : hosts) boundaries.push_back(total += host.slots);
  return boundaries;
}

absl::StatusOr<ScaleCluster> ClusterOf(const v1::ListWorkersResponse& workers,
                                       const Labels& selector,
                                       const std::vector<std::string>& names) {
  std::map<std::string, ScaleHost> by_name;
  for (const v1::WorkerInfo& w : workers.workers()) {
    if (w.state() != v1::WORKER_STATE_CONNECTED) continue;
    const Labels labels(w.labels().begin(), w.labels().end());
    if (!SelectorMatches(selector, labels) || !Named(names, w.worker_id())) continue;
    ScaleHost& host = by_name[HostOf(w)];
    host.name = HostOf(w);
    host.workers.push_back(w.worker_id());
    host.slots += w.slots();
    host.physical_cores = std::max(host.physical_cores, w.topology().physical_cores());
  }
  ScaleCluster cluster;
  cluster.restricted = !selector.empty() || !names.empty();
  for (auto& [name, host] : by_name) {
    std::sort(host.workers.begin(), host.workers.end());
    cluster.hosts.push_back(std::move(host));
  }
  if (cluster.hosts.empty()) {
    return absl::FailedPreconditionError(
        cluster.restricted ? "no connected worker matches --on / --workers"
                           : "no worker is connected to the coordinator");
  }
  return cluster;
}

PointPlan PlanSlots(const ScaleCluster& cluster, int slots, Placement placement) {
  PointPlan plan;
  plan.slots = slots;
  if (placement == Placement::kPacked) {
    size_t used = 0;
    for (int filled = 0; filled < slots && used < cluster.hosts.size(); ++used) {
      filled += cluster.hosts[used].slots;
    }
    UseHosts(cluster, used, &plan);
    return plan;
  }
  UseHosts(cluster, cluster.hosts.size(), &plan);
  if (placement == Placement::kSpread) {
    const int workers = static_cast<int>(plan.workers.size());
    plan.per_worker = (slots + workers - 1) / workers;
  } else if (!cluster.restricted) {
    plan.workers.clear();  // any worker, as a plain submit would
  }
  return plan;
}

PointPlan PlanHosts(const ScaleCluster& cluster, int hosts) {
  PointPlan plan;
  UseHosts(cluster, static_cast<size_t>(hosts), &plan);
  for (int i = 0; i < hosts; ++i) plan.slots += cluster.hosts[static_cast<size_t>(i)].slots;
  return plan;
}

std::vector<int> DefaultSlotList(int total, int physical_cores) {
  std::vector<int> slots;
  for (int s = 1; s < total; s *= 2) slots.push_back(s);
  slots.push_back(std::max(total, 1));
  if (physical_cores > 1 && physical_cores < total) slots.push_back(physical_cores);
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  return slots;
}

}  // namespace tminus
