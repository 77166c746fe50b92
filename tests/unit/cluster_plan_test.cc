#include "cli/cluster_plan.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "cli/ssh.h"

namespace tminus {
namespace {

TEST(HostsFileTest, ReadsRolesSettingsAndComments) {
  auto plan = ParseHostsFile(
      "# lab\ncoordinator head.lab port=7171\n\nworker ann@n1 slots=8  # big\nworker n2\n");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->coordinator.host, "head.lab");
  EXPECT_EQ(plan->coordinator.port, 7171);
  ASSERT_EQ(plan->workers.size(), 2u);
  EXPECT_EQ(plan->workers[0].host, "ann@n1");
  EXPECT_EQ(plan->workers[0].slots, 8);
  EXPECT_EQ(plan->workers[1].slots, 0);
}

TEST(HostsFileTest, ErrorsNameTheLineAndTheField) {
  auto error = [](const std::string& text) {
    return std::string(ParseHostsFile(text).status().message());
  };
  EXPECT_EQ(error("coordinator a\nworker b slots=0\n"),
            "hosts file line 2: slots: must be 1..4096, got '0'");
  EXPECT_EQ(error("coordinator a port=99999\nworker b\n"),
            "hosts file line 1: port: must be 1..65535, got '99999'");
  EXPECT_EQ(error("coordinator a\nworker b color=red\n"),
            "hosts file line 2: unknown setting 'color=red' (a coordinator takes port=P, a "
            "worker slots=N)");
  EXPECT_EQ(error("coordinator a\ncoordinator b\nworker c\n"),
            "hosts file line 2: a second coordinator; the first is on line 1");
  EXPECT_EQ(error("boss a\n"),
            "hosts file line 1: 'boss' is not a role: start the line with coordinator or worker");
  EXPECT_EQ(error("worker b\n"), "hosts file: no `coordinator HOST` line");
  EXPECT_EQ(error("coordinator a\n"), "hosts file: no `worker HOST` line");
  // Hosts go into ssh command lines: nothing a shell or ssh would read as more.
  EXPECT_TRUE(absl::StartsWith(error("coordinator a;rm\nworker b\n"), "hosts file line 1"));
  EXPECT_TRUE(absl::StartsWith(error("coordinator -oProxyCommand=x\nworker b\n"),
                               "hosts file line 1"));
}

TEST(ClusterRecordTest, RoundTrips) {
  ClusterRecord record;
  record.ssh_user = "ann";
  record.ssh_config = "/home/ann/my ssh/config";
  record.remote_dir = ".tminus";
  StartedDaemon coordinator;
  coordinator.role = "coordinator";
  coordinator.host = "head";
  coordinator.pid = 4242;
  coordinator.port = 7070;
  StartedDaemon worker;
  worker.role = "worker";
  worker.host = "ann@n1";
  worker.pid = 99;
  worker.name = "n1";
  record.daemons = {coordinator, worker};
  auto back = ParseClusterRecord(FormatClusterRecord(record));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ssh_config, record.ssh_config);
  EXPECT_EQ(back->remote_dir, ".tminus");
  ASSERT_EQ(back->daemons.size(), 2u);
  EXPECT_EQ(back->daemons[0].port, 7070);
  EXPECT_EQ(back->daemons[1].name, "n1");
  EXPECT_EQ(back->daemons[1].pid, 99);
  EXPECT_EQ(ParseClusterRecord("worker n1 1 x\n").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SshTest, ScriptTravelsAsOneQuotedWord) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  SshOptions options;
  options.user = "ann";
  options.identity = "/k";
  const std::vector<std::string> argv = SshArgv(options, "n1", "echo 'hi'");
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 2], "n1");
  EXPECT_EQ(argv.back(), "sh -c 'echo '\\''hi'\\'''");
  EXPECT_EQ(argv[argv.size() - 3], "--");
}

}  // namespace
}  // namespace tminus
