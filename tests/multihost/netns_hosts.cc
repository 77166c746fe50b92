#include "tests/multihost/netns_hosts.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/files.h"

namespace tminus::testing {

namespace {

absl::Status Sh(const std::string& command) {
  const int rc = std::system((command + " >/dev/null 2>&1").c_str());
  if (rc != 0) return absl::InternalError(absl::StrCat("failed (", rc, "): ", command));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetnsHosts>> NetnsHosts::Create(const std::string& tag, int hosts) {
  if (geteuid() != 0) {
    return absl::FailedPreconditionError("network namespaces need root; not root here");
  }
  const std::string prefix = absl::StrCat("tm", getpid() % 100000, tag);
  std::unique_ptr<NetnsHosts> net(new NetnsHosts(prefix, hosts));
  if (absl::Status built = net->Build(); !built.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create network namespaces here: ", built.message()));
  }
  return net;
}

std::string NetnsHosts::Namespace(int host) const { return absl::StrCat(prefix_, "-h", host); }

absl::Status NetnsHosts::Build() {
  const std::string sw = prefix_ + "-sw";
  std::vector<std::string> steps = {
      absl::StrCat("ip netns add ", sw),
      absl::StrCat("ip -n ", sw, " link add br0 type bridge"),
      absl::StrCat("ip -n ", sw, " link set br0 up"),
  };
  for (int h = 1; h <= hosts_; ++h) {
    const std::string ns = Namespace(h);
    steps.push_back(absl::StrCat("ip netns add ", ns));
    steps.push_back(absl::StrCat("ip -n ", sw, " link add p", h, " type veth peer name eth0 netns ", ns));
    steps.push_back(absl::StrCat("ip -n ", sw, " link set p", h, " master br0 up"));
    steps.push_back(absl::StrCat("ip -n ", ns, " link set lo up"));
    steps.push_back(absl::StrCat("ip -n ", ns, " addr add ", Address(h), "/24 dev eth0"));
    steps.push_back(absl::StrCat("ip -n ", ns, " link set eth0 up"));
  }
  for (const std::string& step : steps) {
    if (absl::Status s = Sh(step); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status NetnsHosts::PinHost(int host, const std::string& cpus, std::string* how) {
  const std::string dir = "/sys/fs/cgroup/cpuset/" + Namespace(host);
  const std::string mems = ReadFile("/sys/fs/cgroup/cpuset/cpuset.mems");
  const bool made = Sh("mkdir -p " + dir).ok();
  if (made) cgroups_.push_back(dir);
  if (made) {
    std::ofstream(dir + "/cpuset.cpus") << cpus;
    std::ofstream(dir + "/cpuset.mems") << (mems.empty() ? "0" : mems);
  }
  if (made && ReadFile(dir + "/cpuset.cpus").find_first_of("0123456789") != std::string::npos) {
    cpuset_of_[host] = dir;
    if (how != nullptr) *how = "cpuset cgroup " + dir;
    return absl::OkStatus();
  }
  if (!Sh("command -v taskset").ok()) {
    return absl::FailedPreconditionError("neither a cpuset cgroup nor taskset works here");
  }
  taskset_of_[host] = cpus;
  if (how != nullptr) *how = "taskset -c " + cpus;
  return absl::OkStatus();
}

absl::StatusOr<size_t> NetnsHosts::Start(int host, const std::vector<std::string>& argv,
                                         const std::string& log) {
  std::vector<std::string> full;
  if (const auto cpuset = cpuset_of_.find(host); cpuset != cpuset_of_.end()) {
    // The shell joins the cpuset, then execs ip, which execs the program:
    // one pid, and every thread it starts is born inside. (Outside: `ip
    // netns exec` mounts a /sys without the cgroup hierarchies.)
    full = {"/bin/sh", "-c", "echo $$ > " + cpuset->second + "/tasks && exec \"$@\"", "sh"};
  }
  full.insert(full.end(), {"/usr/sbin/ip", "netns", "exec", Namespace(host)});
  if (const auto cpus = taskset_of_.find(host); cpus != taskset_of_.end()) {
    full.insert(full.end(), {"/usr/bin/taskset", "-c", cpus->second});
  }
  full.insert(full.end(), argv.begin(), argv.end());  // ip execs the program: same pid
  absl::StatusOr<Subprocess> process = Subprocess::Start(full, log);
  if (!process.ok()) return process.status();
  processes_.push_back(std::move(*process));
  return processes_.size() - 1;
}

std::pair<int, std::string> NetnsHosts::Run(int host, const std::vector<std::string>& argv,
                                            const std::string& out_path,
                                            std::chrono::seconds timeout) {
  std::vector<std::string> full = {"/usr/sbin/ip", "netns", "exec", Namespace(host)};
  full.insert(full.end(), argv.begin(), argv.end());
  absl::StatusOr<Subprocess> process = Subprocess::Start(full, out_path, out_path + ".err");
  if (!process.ok()) return {-1, ""};
  std::optional<int> status = process->Wait(timeout);
  return {status ? ExitCodeOf(*status) : -1, ReadFile(out_path)};
}

absl::Status NetnsHosts::SetHostsFile(int host, const std::string& text) {
  const std::string dir = "/etc/netns/" + Namespace(host);
  if (absl::Status s = Sh("mkdir -p " + dir); !s.ok()) return s;
  std::ofstream(dir + "/hosts") << text;
  return absl::OkStatus();
}

absl::Status NetnsHosts::SetLink(int host, bool up) {
  return Sh(absl::StrCat("ip -n ", prefix_, "-sw link set p", host, up ? " up" : " down"));
}

absl::Status NetnsHosts::LimitCpu(pid_t pid, int percent) {
  const std::string dir = absl::StrCat("/sys/fs/cgroup/cpu/", prefix_, "-", pid);
  if (absl::Status s = Sh("mkdir -p " + dir); !s.ok()) return s;
  cgroups_.push_back(dir);
  {
    std::ofstream(dir + "/cpu.cfs_period_us") << 100000;
    std::ofstream(dir + "/cpu.cfs_quota_us") << 1000 * percent;
  }
  // Every thread of the process (and its children, started later, inherit).
  return Sh(absl::StrCat("for t in /proc/", pid, "/task/*; do echo ${t##*/} > ", dir,
                         "/tasks; done"));
}

NetnsHosts::~NetnsHosts() {
  for (Subprocess& process : processes_) {
    if (process.running()) process.Signal(SIGKILL);
    process.Wait(std::chrono::seconds(10));
  }
  processes_.clear();
  for (const std::string& dir : cgroups_) {
    const std::string root = dir.substr(0, dir.rfind('/'));  // the hierarchy's root
    (void)Sh(absl::StrCat("for t in $(cat ", dir, "/tasks); do echo $t > ", root,
                          "/tasks; done; rmdir ", dir));
  }
  for (int h = 1; h <= hosts_; ++h) {
    (void)Sh("ip netns del " + Namespace(h));
    (void)Sh("rm -rf /etc/netns/" + Namespace(h));
  }
  (void)Sh("ip netns del " + prefix_ + "-sw");
}

}  // namespace tminus::testing
