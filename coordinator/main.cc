// tminus-coordinator: flags, wiring, signals. See docs/architecture.md.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "common/daemon.h"
#include "common/logging.h"
#include "common/parse_count.h"
#include "common/rpc.h"
#include "coordinator/service/server.h"


namespace {

// Flags as typed, before they become ServerOptions.
struct CoordinatorFlags {
  std::string port_file, http_port_file;
  double heartbeat_s = 2.0;
  double lease_timeout_s = 10.0;
  double forget_after_s = 3600.0;
  std::string retain = "100000";
  std::string client_tokens, worker_tokens, admin_tokens, tls_cert, tls_key, tls_client_ca;
  tminus::DaemonFlags daemon;
};

void AddServingFlags(CLI::App& app, CoordinatorFlags* flags, tminus::ServerOptions* options) {
  app.add_option("--listen", options->listen, "HOST:PORT to serve on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--max-connections", options->listener.max_connections,
                 "client and worker connections open at once; beyond it (or when file "
                 "descriptors run low) new ones wait in the kernel's backlog and readiness says "
                 "NOT_SERVING")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--port-file", flags->port_file, "write the bound port to this file once serving");
  options->http_listen = "127.0.0.1:7071";
  app.add_option("--http-listen", options->http_listen,
                 "HOST:PORT of the dashboard (/), its JSON API (/api/v1/), Prometheus metrics "
                 "(/metrics) and /healthz; the same tokens and TLS as the gRPC port; '' turns it off")
      ->capture_default_str();
  app.add_option("--http-allowed-hosts", options->http_allowed_hosts,
                 "host names the HTTP port answers to (comma-separated), besides IP addresses, "
                 "localhost, this machine's hostname and --http-listen's host; requests naming "
                 "any other Host get 403 (DNS rebinding)")
      ->delimiter(',');
  app.add_option("--http-port-file", flags->http_port_file,
                 "write the HTTP port to this file once serving (with --http-listen HOST:0)");
  options->state_dir = "tminus-state";
  app.add_option("--state-dir", options->state_dir,
                 "folder of the SQLite state file (jobs survive restarts); '' or ':memory:' "
                 "keeps state in memory only")->capture_default_str();
}

void AddSchedulingFlags(CLI::App& app, CoordinatorFlags* flags, tminus::ServerOptions* options) {
  app.add_option("--heartbeat-interval", flags->heartbeat_s, "seconds between worker heartbeats")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.05, 3600.0));
  app.add_option("--lease-timeout", flags->lease_timeout_s,
                 "seconds of worker silence after which its leases are released (and after "
                 "which a worker of the same --name may take the name over)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.2, 86400.0));
  app.add_option("--forget-workers-after", flags->forget_after_s,
                 "seconds after which a disconnected worker is dropped from `tminus workers` "
                 "(finished jobs' reports keep it)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(1.0, 1e8));
  app.add_option("--retain", flags->retain,
                 "finished jobs kept (listed, reported, in the state store): COUNT, AGE or "
                 "COUNT,AGE, e.g. 100000, 30d, 10000,7d; older ones are deleted. 0 keeps all")
      ->capture_default_str();
  app.add_option("--max-attempts", options->scheduler.max_attempts,
                 "attempts per chunk before its job fails")
      ->capture_default_str()->check(CLI::Range(1, 100));
}

void AddSecurityFlags(CLI::App& app, CoordinatorFlags* flags, tminus::ServerOptions* options) {
  app.add_option("--client-token-file", flags->client_tokens,
                 "tokens (one a line) that may use JobService: submit, watch, cancel, ...");
  app.add_option("--worker-token-file", flags->worker_tokens,
                 "tokens (one a line) that may open worker sessions");
  app.add_option("--admin-token-file", flags->admin_tokens, "tokens (one a line) that may do both");
  app.add_option("--tls-cert", flags->tls_cert, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", flags->tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", flags->tls_client_ca,
                 "PEM CA: require client certificates it signed (mutual TLS)");
  app.add_option("--max-active-jobs", options->scheduler.max_active_jobs,
                 "jobs queued or running at once; more submits get RESOURCE_EXHAUSTED")
      ->capture_default_str()->check(CLI::Range(1, 10'000'000));
  app.add_option("--submits-per-second", options->admission.submits_per_second,
                 "sustained submit rate per client (token or address)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.1, 1e6));
  app.add_option("--submit-burst", options->admission.submit_burst, "submits a client may burst")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(1.0, 1e7));
  app.add_option("--max-watches-per-client", options->admission.watches_per_client,
                 "open watch streams per client")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--max-sessions-per-host", options->admission.sessions_per_host,
                 "worker sessions per worker host")->capture_default_str()->check(CLI::Range(1, 100000));
}

// The scheduling flags' meaning in `options`; INVALID_ARGUMENT names a bad one.
absl::Status ToSchedulerOptions(const CoordinatorFlags& flags, tminus::ServerOptions* options) {
  if (flags.lease_timeout_s <= flags.heartbeat_s) {
    return absl::InvalidArgumentError("--lease-timeout must be longer than --heartbeat-interval");
  }
  options->scheduler.heartbeat_interval_ns = static_cast<int64_t>(flags.heartbeat_s * 1e9);
  options->scheduler.lease_timeout_ns = static_cast<int64_t>(flags.lease_timeout_s * 1e9);
  options->scheduler.forget_workers_after_ns = static_cast<int64_t>(flags.forget_after_s * 1e9);
  absl::StatusOr<tminus::Retention> retention = tminus::ParseRetention(flags.retain, "--retain");
  if (!retention.ok()) return retention.status();
  options->scheduler.retain_jobs = retention->jobs;
  options->scheduler.retain_for_ns = retention->age_ns;
  return absl::OkStatus();
}

// Tokens and TLS from their files into `options`.
absl::Status LoadSecurity(const CoordinatorFlags& flags, tminus::ServerOptions* options) {
  absl::StatusOr<tminus::TokenSet> tokens =
      tminus::TokenSet::Load(flags.client_tokens, flags.worker_tokens, flags.admin_tokens);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<tminus::ServerTls> tls =
      tminus::LoadServerTls(flags.tls_cert, flags.tls_key, flags.tls_client_ca);
  if (!tls.ok()) return tls.status();
  options->tokens = *tokens;
  options->tls = *tls;
  return absl::OkStatus();
}

int Usage(const absl::Status& status) {
  std::cerr << status.message() << "\n";
  return 2;
}

// Serves until a stop signal: 0, or 1 when it cannot start.
int Serve(const tminus::ServerOptions& options, const CoordinatorFlags& flags,
          const sigset_t& signals) {
  auto log = tminus::Logger("coordinator");
  if (options.tokens.open()) {
    log->warn("no token configured: anyone who can reach {} may submit work and pose as a "
              "worker (see docs/security.md)", options.listen);
  }
  auto server = tminus::CoordinatorServer::Start(options);
  if (!server.ok()) {
    log->error("{}", server.status().ToString());
    std::cerr << "tminus-coordinator: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  log->info("listening address={} version={} max_connections={}", (*server)->address(),
            tminus::Version(), (*server)->listener().max_connections());
  if (!(*server)->dashboard_url().empty()) {
    log->info("dashboard {} (metrics at /metrics, API at /api/v1/)", (*server)->dashboard_url());
  }
  // The HTTP port first: whoever waits for --port-file may read both then.
  if (!flags.http_port_file.empty() &&
      !tminus::WritePortFile(flags.http_port_file, (*server)->http_port())) {
    log->error("cannot write --http-port-file {}", flags.http_port_file);
    return 1;
  }
  if (!flags.port_file.empty() && !tminus::WritePortFile(flags.port_file, (*server)->port())) {
    log->error("cannot write --port-file {}", flags.port_file);
    return 1;
  }
  tminus::NotifyReady("serving on " + (*server)->address());
  const int signal_number = tminus::WaitForStopSignal(signals);
  tminus::NotifyStopping();
  log->info("signal={} shutting down", signal_number);
  // Worker streams and watches are ended first, and unary calls answer in
  // milliseconds: the grace is spent waiting on idle client connections that
  // do not read the GOAWAY, so it is short (a stop must not take 5 s).
  (*server)->Shutdown(std::chrono::seconds(1));
  log->info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Abseil's mutex deadlock detector costs more than the work on the hot
  // path (a third of the worker's instructions per tiny chunk); the tests
  // keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"tminus-coordinator: splits countdown jobs into chunks and leases them to "
               "tminus-worker daemons over gRPC.\nExit codes: 0 stopped (SIGTERM/SIGINT), 1 "
               "cannot start (address in use, state store), 2 usage error."};
  tminus::ServerOptions options;
  CoordinatorFlags flags;
  AddServingFlags(app, &flags, &options);
  AddSchedulingFlags(app, &flags, &options);
  AddSecurityFlags(app, &flags, &options);
  tminus::AddDaemonFlags(app, &flags.daemon);
  const int code = tminus::ParseDaemonFlags(app, "TMINUS_COORDINATOR_", argc, argv);
  if (code >= 0) return code;
  if (!tminus::ApplyDaemonFlags(flags.daemon)) return 2;
  if (absl::Status valid = ToSchedulerOptions(flags, &options); !valid.ok()) return Usage(valid);

  // Before any thread starts, so only sigwait sees the stop signals.
  const sigset_t signals = tminus::BlockStopSignals();
  const tminus::FdLimit fds = tminus::RaiseFdLimit();
  tminus::Logger("coordinator")->info("file descriptor limit soft={} (was {}) hard={}", fds.soft,
                                      fds.soft_before, fds.hard);
  if (absl::Status loaded = LoadSecurity(flags, &options); !loaded.ok()) return Usage(loaded);
  return Serve(options, flags, signals);
}
