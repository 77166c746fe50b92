// `tminus cluster up/down` for real: sshd (Debian's openssh-server) on three
// namespace hosts with a throwaway key, the launcher on a fourth, a job run
// on the cluster it starts, then `down`. Also: an unreachable host is named
// and what had started is stopped again. Skipped like the other multi-host
// tests where namespaces cannot be made (a failure in CI).
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "cli/cluster_plan.h"
#include "tests/multihost/netns_hosts.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus::testing {
namespace {

constexpr int kHosts = 4;  // 1 coordinator, 2 and 3 workers, 4 runs the launcher
constexpr int kLauncherHost = 4;

std::string Bin(const std::string& name) { return std::string(TMINUS_BIN_DIR) + "/" + name; }

// Alive and not a zombie (nothing may reap re-parented daemons here).
bool Alive(int pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  return !stat.empty() && stat.find(") Z ") == std::string::npos;
}

// Pids of live processes whose working directory is `dir`: the daemons the
// launcher started there, whatever the record says.
std::vector<int> ProcessesIn(const std::string& dir) {
  std::vector<int> pids;
  DIR* proc = opendir("/proc");
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    char target[4096];
    const ssize_t n = readlink(absl::StrCat("/proc/", pid, "/cwd").c_str(), target,
                               sizeof(target) - 1);
    if (n > 0 && std::string(target, n) == dir && Alive(pid)) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

class ClusterSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto net = NetnsHosts::Create(absl::StrCat("ssh", counter_++), kHosts);
    if (!net.ok()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << net.status().ToString();
      GTEST_SKIP() << "multi-host tests skipped: " << net.status().message();
    }
    net_ = std::move(*net);
    dir_ = absl::StrCat(::testing::TempDir(), "tminus-cluster-ssh-", getpid(), "-", counter_);
    ASSERT_EQ(Sh("rm -rf " + dir_ + " && mkdir -p " + dir_ + "/remote /run/sshd"), 0);
    ASSERT_EQ(Sh(absl::StrCat("ssh-keygen -q -t ed25519 -N '' -f ", dir_, "/id && ssh-keygen -q ",
                              "-t ed25519 -N '' -f ", dir_, "/host_key && cp ", dir_, "/id.pub ",
                              dir_, "/authorized_keys")), 0);
    std::ofstream(dir_ + "/sshd_config")
        << "HostKey " << dir_ << "/host_key\nAuthorizedKeysFile " << dir_ << "/authorized_keys\n"
        << "PidFile none\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
        << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nLogLevel ERROR\n";
    std::ofstream(dir_ + "/ssh_config")
        << "Host *\n  User root\n  UserKnownHostsFile " << dir_ << "/known_hosts\n"
        << "  StrictHostKeyChecking accept-new\n  IdentitiesOnly yes\n  LogLevel ERROR\n";
    for (int host = 1; host < kLauncherHost; ++host) {
      ASSERT_TRUE(net_->Start(host, {"/usr/sbin/sshd", "-D", "-e", "-f", dir_ + "/sshd_config",
                                     "-o", "ListenAddress=" + net_->Address(host)},
                              absl::StrCat(dir_, "/sshd-", host, ".log")).ok());
    }
    for (int host = 1; host < kLauncherHost; ++host) WaitForSshd(host);
  }

  void TearDown() override {
    // Whatever a failed test left running: only the daemons started in our folder.
    for (int pid : ProcessesIn(dir_ + "/remote")) kill(pid, SIGKILL);
    if (!HasFailure() && !dir_.empty()) Sh("rm -rf " + dir_);  // kept for reading on failure
  }

  static int Sh(const std::string& command) { return std::system(command.c_str()); }

  void WaitForSshd(int host) {
    ASSERT_TRUE(WaitFor(
        [&] {
          return Launcher({"ssh", "-F", dir_ + "/ssh_config", "-i", dir_ + "/id", "-o",
                           "BatchMode=yes", net_->Address(host), "true"}).first == 0;
        },
        std::chrono::seconds(20), "sshd on host " + std::to_string(host),
        std::chrono::milliseconds(200)));
  }

  // Runs a command on the launcher host: (exit code, stdout); stderr kept in err_.
  std::pair<int, std::string> Launcher(const std::vector<std::string>& argv) {
    const std::string out = absl::StrCat(dir_, "/run-", ++runs_, ".out");
    auto result = net_->Run(kLauncherHost, argv, out, std::chrono::seconds(120));
    err_ = ReadFile(out + ".err");
    return result;
  }

  std::pair<int, std::string> Cluster(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {Bin("tminus"), "cluster", "--state", dir_ + "/state",
                                     "--timeout", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return Launcher(argv);
  }

  std::pair<int, std::string> Up(const std::string& hosts,
                                 const std::string& bin_dir = TMINUS_BIN_DIR) {
    std::ofstream(dir_ + "/hosts") << hosts;
    return Cluster({"up", "--hosts", dir_ + "/hosts", "--ssh-config", dir_ + "/ssh_config",
                    "--identity", dir_ + "/id", "--remote-bin-dir", bin_dir,
                    "--remote-dir", dir_ + "/remote", "--log-level", "warn"});
  }

  static int counter_;
  std::unique_ptr<NetnsHosts> net_;
  std::string dir_;
  std::string err_;
  int runs_ = 0;
};

int ClusterSshTest::counter_ = 0;

TEST_F(ClusterSshTest, UpRunsAJobExactlyAndDownStopsEverything) {
  auto [up, printed] = Up(absl::StrCat("# test cluster\ncoordinator ", net_->Address(1),
                                       " port=7070\nworker ", net_->Address(2), " slots=2\n",
                                       "worker ", net_->Address(3), "  slots=1  # small\n"));
  ASSERT_EQ(up, 0) << printed << err_;
  EXPECT_TRUE(absl::StrContains(printed, "coordinator 10.200.0.1:7070")) << printed;
  EXPECT_EQ(ProcessesIn(dir_ + "/remote").size(), 3u);
  auto record = ParseClusterRecord(ReadFile(dir_ + "/state/cluster.txt"));
  ASSERT_TRUE(record.ok());
  ASSERT_EQ(record->daemons.size(), 3u);

  const std::string coordinator = "10.200.0.1:7070";
  // The coordinator the launcher made wants a token: none is refused.
  EXPECT_EQ(Launcher({Bin("tminus"), "-c", coordinator, "workers"}).first, 3) << err_;
  auto [code, report] = Launcher({Bin("tminus"), "-c", coordinator, "--token-file",
                                  dir_ + "/state/client.token", "submit", "-n", "3e9",
                                  "--chunks", "60", "--wait", "-o", "csv"});
  ASSERT_EQ(code, 0) << report << err_;
  std::vector<std::string> lines = absl::StrSplit(report, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  std::vector<std::string> keys = absl::StrSplit(lines[0], ',');
  std::vector<std::string> values = absl::StrSplit(lines[1], ',');
  std::map<std::string, std::string> row;
  for (size_t i = 0; i < keys.size() && i < values.size(); ++i) row[keys[i]] = values[i];
  EXPECT_EQ(row["state"], "succeeded");
  EXPECT_EQ(row["exact"], "true");
  EXPECT_EQ(row["decrements"], "3000000000");

  auto [down, stopped] = Cluster({"down"});
  EXPECT_EQ(down, 0) << stopped << err_;
  for (const StartedDaemon& d : record->daemons) EXPECT_FALSE(Alive(d.pid)) << d.role;
  EXPECT_TRUE(ProcessesIn(dir_ + "/remote").empty());
  EXPECT_EQ(ReadFile(dir_ + "/state/cluster.txt"), "");
  EXPECT_EQ(Cluster({"down"}).first, 2);  // nothing left to stop
}

TEST_F(ClusterSshTest, UnreachableHostIsNamedAndWhatStartedIsStopped) {
  auto [up, printed] = Up(absl::StrCat("coordinator ", net_->Address(1), "\nworker ",
                                       net_->Address(2), "\nworker 10.200.0.99\n"));
  EXPECT_EQ(up, 1) << printed << err_;
  EXPECT_TRUE(absl::StrContains(err_, "10.200.0.99: cannot reach it over ssh")) << err_;
  EXPECT_TRUE(ProcessesIn(dir_ + "/remote").empty());
  EXPECT_EQ(ReadFile(dir_ + "/state/cluster.txt"), "");
}

TEST_F(ClusterSshTest, MissingBinariesAreNamedWithTheHost) {
  auto [up, printed] = Up(absl::StrCat("coordinator ", net_->Address(1), "\nworker ",
                                       net_->Address(2), "\n"), "/nonexistent/bin");
  EXPECT_EQ(up, 1) << printed << err_;
  EXPECT_TRUE(absl::StrContains(err_, "coordinator on 10.200.0.1: /nonexistent/bin/"
                                      "tminus-coordinator not found")) << err_;
}

TEST_F(ClusterSshTest, BadHostsFileIsAUsageErrorNamingTheLine) {
  auto [up, printed] = Up(absl::StrCat("coordinator ", net_->Address(1), "\nworker ",
                                       net_->Address(2), " slots=lots\n"));
  EXPECT_EQ(up, 2);
  EXPECT_TRUE(absl::StrContains(err_, "hosts file line 2: slots")) << err_;
  EXPECT_TRUE(ProcessesIn(dir_ + "/remote").empty());
}

}  // namespace
}  // namespace tminus::testing
