// Several "hosts" on this machine: one network namespace each, joined by a
// bridge in a switch namespace (10.200.0.0/24). Processes run on a host with
// `ip netns exec`. Names are unique per run; the destructor kills every
// process it started (by pid) and deletes every namespace, also when a test
// fails.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/subprocess.h"

namespace tminus::testing {

class NetnsHosts {
 public:
  // FAILED_PRECONDITION when namespaces cannot be made here (not root).
  static absl::StatusOr<std::unique_ptr<NetnsHosts>> Create(const std::string& tag, int hosts);
  ~NetnsHosts();

  // Host i (1-based): its namespace and address.
  std::string Namespace(int host) const;
  std::string Address(int host) const { return "10.200.0." + std::to_string(host); }

  // Starts argv on a host; output goes to `log`. Returns the process index.
  absl::StatusOr<size_t> Start(int host, const std::vector<std::string>& argv,
                               const std::string& log);
  Subprocess& process(size_t index) { return processes_[index]; }

  // Runs argv on a host to its end (killed after `timeout`): its exit code
  // (-1 when it timed out) and stdout; stderr goes to `out_path`.err.
  std::pair<int, std::string> Run(int host, const std::vector<std::string>& argv,
                                  const std::string& out_path,
                                  std::chrono::seconds timeout = std::chrono::seconds(60));

  // Sets a host's /etc/hosts (`ip netns exec` mounts /etc/netns/NS/hosts
  // over it): how a "pod" resolves a Service name. Removed with the host.
  absl::Status SetHostsFile(int host, const std::string& text);

  // Cuts or restores a host's link to the switch (a partition).
  absl::Status SetLink(int host, bool up);
  // Puts a running process into a cgroup (v1) limited to `percent` of a CPU.
  absl::Status LimitCpu(pid_t pid, int percent);
  // Gives a host its own CPUs ("1", "0-3"): a cpuset cgroup (v1) that every
  // process started on the host afterwards joins before it runs, so its
  // affinity mask (and the topology a worker reports) is those CPUs. Falls
  // back to taskset where cpusets cannot be made; says which in `how`.
  absl::Status PinHost(int host, const std::string& cpus, std::string* how = nullptr);

 private:
  NetnsHosts(std::string prefix, int hosts) : prefix_(std::move(prefix)), hosts_(hosts) {}
  absl::Status Build();

  std::string prefix_;
  int hosts_;
  std::vector<Subprocess> processes_;
  std::vector<std::string> cgroups_;
  std::map<int, std::string> cpuset_of_;   // host -> cpuset directory
  std::map<int, std::string> taskset_of_;  // host -> CPU list, when cpusets failed
};

}  // namespace tminus::testing
