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


int main(int argc, char** argv) {
  // Abseil's mutex deadlock detector costs more than the work on the hot
  // path (a third of the worker's instructions per tiny chunk); the tests
  // keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"tminus-coordinator: splits countdown jobs into chunks and leases them to "
               "tminus-worker daemons over gRPC.\nExit codes: 0 stopped (SIGTERM/SIGINT), 1 "
               "cannot start (address in use, state store), 2 usage error."};
  tminus::ServerOptions options;
  std::string port_file;
  double heartbeat_s = 2.0;
  double lease_timeout_s = 10.0;
  app.add_option("--listen", options.listen, "HOST:PORT to serve on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--max-connections", options.listener.max_connections,
                 "client and worker connections open at once; beyond it (or when file "
                 "descriptors run low) new ones wait in the kernel's backlog and readiness says "
                 "NOT_SERVING")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--port-file", port_file, "write the bound port to this file once serving");
  options.http_listen = "127.0.0.1:7071";
  app.add_option("--http-listen", options.http_listen,
                 "HOST:PORT of the dashboard (/), its JSON API (/api/v1/), Prometheus metrics "
                 "(/metrics) and /healthz; the same tokens and TLS as the gRPC port; '' turns it off")
      ->capture_default_str();
  app.add_option("--http-allowed-hosts", options.http_allowed_hosts,
                 "host names the HTTP port answers to (comma-separated), besides IP addresses, "
                 "localhost, this machine's hostname and --http-listen's host; requests naming "
                 "any other Host get 403 (DNS rebinding)")
      ->delimiter(',');
  std::string http_port_file;
  app.add_option("--http-port-file", http_port_file,
                 "write the HTTP port to this file once serving (with --http-listen HOST:0)");
  options.state_dir = "tminus-state";
  app.add_option("--state-dir", options.state_dir,
                 "folder of the SQLite state file (jobs survive restarts); '' or ':memory:' "
                 "keeps state in memory only")->capture_default_str();
  app.add_option("--heartbeat-interval", heartbeat_s, "seconds between worker heartbeats")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.05, 3600.0));
  app.add_option("--lease-timeout", lease_timeout_s,
                 "seconds of worker silence after which its leases are released (and after "
                 "which a worker of the same --name may take the name over)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.2, 86400.0));
  double forget_after_s = 3600.0;
  app.add_option("--forget-workers-after", forget_after_s,
                 "seconds after which a disconnected worker is dropped from `tminus workers` "
                 "(finished jobs' reports keep it)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(1.0, 1e8));
  std::string retain = "100000";
  app.add_option("--retain", retain,
                 "finished jobs kept (listed, reported, in the state store): COUNT, AGE or "
                 "COUNT,AGE, e.g. 100000, 30d, 10000,7d; older ones are deleted. 0 keeps all")
      ->capture_default_str();
  app.add_option("--max-attempts", options.scheduler.max_attempts,
                 "attempts per chunk before its job fails")
      ->capture_default_str()->check(CLI::Range(1, 100));
  std::string client_tokens, worker_tokens, admin_tokens, tls_cert, tls_key, tls_client_ca;
  app.add_option("--client-token-file", client_tokens,
                 "tokens (one a line) that may use JobService: submit, watch, cancel, ...");
  app.add_option("--worker-token-file", worker_tokens,
                 "tokens (one a line) that may open worker sessions");
  app.add_option("--admin-token-file", admin_tokens, "tokens (one a line) that may do both");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", tls_client_ca,
                 "PEM CA: require client certificates it signed (mutual TLS)");
  app.add_option("--max-active-jobs", options.scheduler.max_active_jobs,
                 "jobs queued or running at once; more submits get RESOURCE_EXHAUSTED")
      ->capture_default_str()->check(CLI::Range(1, 10'000'000));
  app.add_option("--submits-per-second", options.admission.submits_per_second,
                 "sustained submit rate per client (token or address)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.1, 1e6));
  app.add_option("--submit-burst", options.admission.submit_burst, "submits a client may burst")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(1.0, 1e7));
  app.add_option("--max-watches-per-client", options.admission.watches_per_client,
                 "open watch streams per client")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--max-sessions-per-host", options.admission.sessions_per_host,
                 "worker sessions per worker host")->capture_default_str()->check(CLI::Range(1, 100000));
  tminus::DaemonFlags daemon;
  tminus::AddDaemonFlags(app, &daemon);
  if (const int code = tminus::ParseDaemonFlags(app, argc, argv); code >= 0) return code;
  if (!tminus::ApplyDaemonFlags(daemon)) return 2;
  if (lease_timeout_s <= heartbeat_s) {
    std::cerr << "--lease-timeout must be longer than --heartbeat-interval\n";
    return 2;
  }
  options.scheduler.heartbeat_interval_ns = static_cast<int64_t>(heartbeat_s * 1e9);
  options.scheduler.lease_timeout_ns = static_cast<int64_t>(lease_timeout_s * 1e9);
  options.scheduler.forget_workers_after_ns = static_cast<int64_t>(forget_after_s * 1e9);
  absl::StatusOr<tminus::Retention> retention = tminus::ParseRetention(retain, "--retain");
  if (!retention.ok()) {
    std::cerr << retention.status().message() << "\n";
    return 2;
  }
  options.scheduler.retain_jobs = retention->jobs;
  options.scheduler.retain_for_ns = retention->age_ns;

  // Before any thread starts, so only sigwait sees the stop signals.
  const sigset_t signals = tminus::BlockStopSignals();

  auto log = tminus::Logger("coordinator");
  const tminus::FdLimit fds = tminus::RaiseFdLimit();
  log->info("file descriptor limit soft={} (was {}) hard={}", fds.soft, fds.soft_before, fds.hard);
  absl::StatusOr<tminus::TokenSet> tokens =
      tminus::TokenSet::Load(client_tokens, worker_tokens, admin_tokens);
  absl::StatusOr<tminus::ServerTls> tls = tminus::LoadServerTls(tls_cert, tls_key, tls_client_ca);
  if (!tokens.ok() || !tls.ok()) {
    std::cerr << (tokens.ok() ? tls.status() : tokens.status()).message() << "\n";
    return 2;
  }
  options.tokens = *tokens;
  options.tls = *tls;
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
  if (!http_port_file.empty() && !tminus::WritePortFile(http_port_file, (*server)->http_port())) {
    log->error("cannot write --http-port-file {}", http_port_file);
    return 1;
  }
  if (!port_file.empty() && !tminus::WritePortFile(port_file, (*server)->port())) {
    log->error("cannot write --port-file {}", port_file);
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
