// tminus cluster up|down
#include <iostream>

#include "cli/cluster.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {
namespace {

struct ClusterFlags {
  ClusterUpOptions up;
  int timeout_s = 60;
};

void AddUp(CLI::App* cluster, CliContext& ctx, std::shared_ptr<ClusterFlags> flags) {
  CLI::App* up = cluster->add_subcommand(
      "up", "start the coordinator and the workers a hosts file names, over ssh; wait until "
            "every worker has joined; print the cluster");
  up->footer(
      "Hosts file, one daemon a line (# starts a comment):\n"
      "  coordinator HOST [port=7070]\n"
      "  worker HOST [slots=N]        (default: the host's online CPUs)\n"
      "HOST may be user@host. Workers dial the coordinator at HOST:port, so that name must "
      "resolve on the worker hosts.\n"
      "Tokens: the coordinator requires them. Clients use your --token-file/TMINUS_TOKEN if "
      "given, else a new token written to STATE/client.token; workers get a new token of "
      "their own. Tokens reach the hosts on ssh's stdin, never in a command line.\n"
      "Exit codes: 0 up, 1 a host could not be reached or a daemon did not start or join "
      "(what had started is stopped again), 2 usage or a bad hosts file.");
  up->add_option("--hosts", flags->up.hosts_file, "hosts file (see below)")->required();
  up->add_option("--ssh-user", flags->up.ssh.user, "remote user (default: ssh's)");
  up->add_option("--identity", flags->up.ssh.identity, "ssh private key file (ssh -i)");
  up->add_option("--ssh-config", flags->up.ssh.config, "ssh config file (ssh -F)");
  up->add_option("--remote-bin-dir", flags->up.remote_bin_dir,
                 "folder of tminus-coordinator and tminus-worker on the hosts (default: PATH)");
  up->add_option("--remote-dir", flags->up.remote_dir,
                 "folder on the hosts for logs, state and tokens; relative: under the home")
      ->capture_default_str();
  up->add_option("--log-level", flags->up.log_level, "the daemons' log level")
      ->capture_default_str();
  up->callback([&ctx, flags] {
    flags->up.client_token = ctx.security.token;
    flags->up.timeout = std::chrono::seconds(flags->timeout_s);
    absl::StatusOr<ClusterUpResult> result = ClusterUp(flags->up, std::cerr);
    if (!result.ok()) {
      std::cerr << "tminus: cluster up: " << result.status().message() << "\n";
      ctx.exit_code = result.status().code() == absl::StatusCode::kInvalidArgument
                          ? kExitUsage : kExitJobFailed;
      return;
    }
    std::cout << "coordinator " << result->coordinator << "\n";
    PrintWorkers(result->workers, OutputFormat::kTable, std::cout);
    std::cout << "\nuse it:  export TMINUS_COORDINATOR=" << result->coordinator
              << " TMINUS_TOKEN=$(cat " << result->client_token_file << ")\n"
              << "see it:  " << result->dashboard << " (log in with the same token)\n"
              << "stop it: tminus cluster down --state " << flags->up.state_dir << "\n";
  });
}

void AddDown(CLI::App* cluster, CliContext& ctx, std::shared_ptr<ClusterFlags> flags) {
  CLI::App* down = cluster->add_subcommand(
      "down", "stop what `cluster up` started: the workers first (they drain), then the "
              "coordinator. Exit codes: 0 stopped, 1 a host could not be reached (run it "
              "again), 2 nothing recorded");
  down->callback([&ctx, flags] {
    absl::Status status = ClusterDown(flags->up.state_dir,
                                      std::chrono::seconds(flags->timeout_s), std::cout);
    if (!status.ok()) {
      std::cerr << "tminus: cluster down: " << status.message() << "\n";
      ctx.exit_code = status.code() == absl::StatusCode::kNotFound ? kExitUsage : kExitJobFailed;
    }
  });
}

}  // namespace

void AddClusterCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cluster = app.add_subcommand(
      "cluster", "start and stop a coordinator and workers on other hosts over ssh");
  cluster->require_subcommand(1);
  cluster->fallthrough();  // `cluster down --state DIR` as well as `cluster --state DIR down`
  cluster->add_option("--state", flags->up.state_dir,
                      "local folder recording what `up` started (and the client token)")
      ->capture_default_str();
  cluster->add_option("--timeout", flags->timeout_s,
                      "seconds each step may take: ssh, the coordinator serving, workers "
                      "joining, a worker draining")
      ->capture_default_str()->check(CLI::Range(1, 3600));
  AddUp(cluster, ctx, flags);
  AddDown(cluster, ctx, flags);
}

}  // namespace tminus
