// tminus-worker: connects to a coordinator and runs the chunks it leases.
// Started with `--child PARENT_PID` it is instead one slot's child process.
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/address.h"
#include "common/text.h"
#include "common/job_spec.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/daemon.h"
#include "common/host.h"
#include "common/logging.h"
#include "common/rpc.h"
#include "common/status_macros.h"
#include "worker/child_process.h"
#include "worker/python_kernel.h"
#include "common/http_server.h"
#include "worker/health_server.h"
#include "worker/identity.h"
#include "worker/metrics.h"
#include "worker/session_client.h"

namespace {

std::string SelfBinary() {
  char path[4096] = {};
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : std::string();
}

// "threads,processes" -> flags; false for an unknown name.
bool ParseExecutors(const std::string& text, tminus::WorkerOptions* options) {
  options->threads = options->processes = false;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    if (name == "threads") options->threads = true;
    else if (name == "processes") options->processes = true;
    else return false;
  }
  return options->threads || options->processes;
}

// "python,command" (countdown may be named; it is always allowed).
bool ParseKernels(const std::string& text, tminus::KernelSet* out) {
  *out = tminus::KernelBit(tminus::KernelKind::kCountdown);
  if (text.empty()) return true;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    tminus::KernelKind kind;
    if (!tminus::ParseKernel(std::string(name), "--allow-kernels", &kind).ok()) return false;
    *out |= tminus::KernelBit(kind);
  }
  return true;
}

// --run-as: who the command kernel's programs run as. A root worker that
// allows them must say so: a client's program never gets root by default.
absl::Status RunAsFlag(const std::string& run_as, tminus::KernelSet kernels,
                       tminus::CommandOptions* command) {
  const bool commands = (kernels & tminus::KernelBit(tminus::KernelKind::kCommand)) != 0;
  if (run_as.empty()) {
    if (commands && geteuid() == 0) {
      return absl::InvalidArgumentError(
          "--allow-kernels command: this worker runs as root; name the user its programs run "
          "as with --run-as USER (--run-as root to run them as root)");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<tminus::RunAs> user = tminus::LookUpUser(run_as);
  if (!user.ok()) return user.status();
  if (user->uid != geteuid() || user->gid != getegid()) {
    if (geteuid() != 0) {
      return absl::InvalidArgumentError("--run-as: only a worker running as root can run "
                                        "programs as another user");
    }
    command->run_as = *user;
  }
  return absl::OkStatus();
}

int Usage(const absl::Status& status) {
  std::cerr << status.message() << "\n";
  return 2;
}

// The metrics port serves a scrape at a time; two threads and a few
// connections are plenty, and bound what a flood of them can hold.
constexpr int kMetricsHttpThreads = 2;
constexpr int kMetricsHttpConnections = 32;

// Flags as typed, before they become WorkerOptions.
struct WorkerFlags {
  std::string coordinator = "127.0.0.1:7070";
  std::string executors = "threads,processes";
  double kill_grace_s = 2.0;
  double drain_timeout_s = 30.0;
  double calibrate_every_s = 600;
  std::string health_listen;
  std::string http_listen, http_port_file, metrics_token_file;
  std::string token_file, tls_ca, tls_cert, tls_key;
  std::vector<std::string> labels;
  std::string allow_kernels, run_as;
  tminus::DaemonFlags daemon;
};

void AddWorkerFlags(CLI::App& app, WorkerFlags* flags, tminus::WorkerOptions* options) {
  app.add_option("--coordinator", flags->coordinator,
                 "coordinator HOST[:PORT] (port 7070 if left out)")
      ->envname("TMINUS_COORDINATOR")->capture_default_str();
  app.add_option("--slots", options->slots, "chunks run at once (default: online CPUs)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--name", options->worker_id,
                 "worker id shown in reports, 1-128 visible ASCII characters; unique per "
                 "cluster: a second live worker with the same name is refused (default: HOST-PID)");
  app.add_option("--executors", flags->executors, "comma list of threads, processes")
      ->capture_default_str();
  app.add_option("--prefetch", options->prefetch,
                 "credits beyond --slots, so a slot never waits for a round trip "
                 "(default: adapts to chunk durations, ~10 ms of work queued per slot)")
      ->check(CLI::Range(0, 1'000'000));
  app.add_option("--max-unacked-results", options->max_unacked_results,
                 "results sent but not yet acknowledged (made durable) by the coordinator, "
                 "beyond which the worker asks for no more work")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  app.add_option("--calibrate-every", flags->calibrate_every_s,
                 "seconds between measures of the bare kernel on one idle thread (5 samples of "
                 "~100 ms while no slot has work; the one-slot reference of every job's "
                 "speedup); 0: once at start; -1: never, and jobs it runs get no speedup")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(-1.0, 1e7));
  app.add_option("--kill-grace", flags->kill_grace_s,
                 "seconds a cancelled child process gets before SIGKILL")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.0, 600.0));
  app.add_option("--drain-timeout", flags->drain_timeout_s,
                 "on SIGTERM: seconds running chunks get to finish before they are handed back "
                 "(keep it below the service manager's stop timeout)")
      ->capture_default_str()->check(tminus::Finite())->check(CLI::Range(0.0, 86400.0));
  app.add_option("--health-listen", flags->health_listen,
                 "HOST:PORT for a gRPC health endpoint (Kubernetes probes): service \"\" is "
                 "liveness, \"tminus.worker\" is ready while connected (default: none)");
  app.add_option("--http-listen", flags->http_listen,
                 "HOST:PORT serving Prometheus metrics (/metrics) and /healthz (default: none)");
  app.add_option("--http-port-file", flags->http_port_file,
                 "write the HTTP port to this file once serving (with --http-listen HOST:0)");
  app.add_option("--metrics-token-file", flags->metrics_token_file,
                 "tokens (one a line) that may read /metrics, sent as 'Authorization: Bearer' "
                 "(usually the client tokens; default: /metrics is open)");
  app.add_option("--token-file", flags->token_file,
                 "file holding the worker token (default: the TMINUS_TOKEN variable)");
  app.add_option("--tls-ca", flags->tls_ca, "PEM CA of the coordinator's certificate: use TLS");
  app.add_option("--tls-cert", flags->tls_cert, "PEM client certificate, for mutual TLS");
  app.add_option("--tls-key", flags->tls_key, "PEM key of --tls-cert");
  app.add_option("--label", flags->labels,
                 "KEY=VALUE a job can select this worker by (tminus submit --on KEY=VALUE); "
                 "repeatable. Added to the automatic host, arch, cpu_model, executors (and node, "
                 "from TMINUS_NODE_NAME) labels; host=NAME also names the host in reports");
  app.add_flag("--pin", options->pin,
               "pin each slot's thread (and its child process) to its own CPU, one CPU of "
               "each physical core first, then their hyper-threads");
  app.add_option("--allow-kernels", flags->allow_kernels,
                 "comma list of python, command: kernels that run code a client sent (remote "
                 "code execution by design; docs/security.md). Default: the countdown only");
  app.add_option("--run-as", flags->run_as,
                 "user the command kernel's programs run as. Required with --allow-kernels "
                 "command when the worker runs as root (name root itself to run them as root)");
  tminus::AddDaemonFlags(app, &flags->daemon);
}

// The labels: automatic ones overlaid with --label, and a host that is set.
absl::Status SetLabels(const std::vector<std::string>& label_flags,
                       tminus::WorkerOptions* options) {
  absl::StatusOr<tminus::Labels> labels = tminus::WorkerLabels(
      label_flags, options->topology, options->threads, options->processes);
  if (!labels.ok()) return labels.status();
  // An empty host (a manifest's variable that was not set): the hostname.
  if ((*labels)["host"].empty()) (*labels)["host"] = tminus::Hostname();
  RETURN_IF_ERROR(tminus::CheckVisibleAscii((*labels)["host"], "--label host", 1,
                                            tminus::kMaxHostBytes));
  options->labels = *std::move(labels);
  return absl::OkStatus();
}

// The flags' meaning in `options`; an INVALID_ARGUMENT names a bad flag.
absl::Status ToOptions(const WorkerFlags& flags, bool named, tminus::WorkerOptions* options) {
  if (!ParseExecutors(flags.executors, options)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--executors: use threads, processes or threads,processes; got '", flags.executors, "'"));
  }
  if (!ParseKernels(flags.allow_kernels, &options->kernels)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allow-kernels: use python, command or python,command; got '", flags.allow_kernels,
        "'"));
  }
  RETURN_IF_ERROR(RunAsFlag(flags.run_as, options->kernels, &options->command));
  options->topology = tminus::ReadTopology();
  RETURN_IF_ERROR(SetLabels(flags.labels, options));
  absl::StatusOr<std::string> target = tminus::ParseDialTarget(flags.coordinator, "--coordinator");
  if (!target.ok()) return target.status();
  options->coordinator = *target;
  if (!named) options->worker_id = absl::StrCat(tminus::Hostname(), "-", getpid());
  RETURN_IF_ERROR(
      tminus::CheckVisibleAscii(options->worker_id, "--name", 1, tminus::kMaxNameBytes));
  options->kill_grace = std::chrono::milliseconds(static_cast<int64_t>(flags.kill_grace_s * 1000));
  options->command.kill_grace = options->kill_grace;
  if (flags.calibrate_every_s < 0) options->calibration.samples = 0;
  options->calibration.refresh_ns =
      static_cast<int64_t>(std::max(0.0, flags.calibrate_every_s) * 1e9);
  options->child_binary = SelfBinary();
  absl::StatusOr<tminus::ClientSecurity> security =
      tminus::LoadClientSecurity(flags.token_file, flags.tls_ca, flags.tls_cert, flags.tls_key);
  if (!security.ok()) return security.status();
  options->security = *security;
  return absl::OkStatus();
}

// Ready (for systemd's Type=notify) once first connected; then a status.
std::function<void(bool)> ConnectionNotifier(tminus::HealthServer* health,
                                             const std::string& coordinator) {
  auto told_ready = std::make_shared<bool>(false);
  return [health, coordinator, told_ready](bool connected) {
    if (health != nullptr) health->SetReady(connected);
    const std::string status = (connected ? "connected to " : "reconnecting to ") + coordinator;
    if (connected && !*told_ready) {
      *told_ready = true;
      tminus::NotifyReady(status);
    } else {
      tminus::NotifyStatus(status);
    }
  };
}

// The metrics port, or null without --http-listen; a status to exit 1 with.
absl::StatusOr<std::unique_ptr<tminus::HttpServer>> StartMetricsHttp(
    const std::optional<tminus::HostPort>& address, const std::string& port_file,
    tminus::WorkerMetrics* metrics) {
  if (!address.has_value()) return nullptr;
  tminus::HttpServerOptions http_options;
  http_options.address = *address;
  http_options.threads = kMetricsHttpThreads;
  http_options.max_connections = kMetricsHttpConnections;
  auto http = tminus::HttpServer::Start(
      http_options, [metrics](const tminus::HttpCall& call) { return metrics->Handle(call); });
  if (!http.ok()) return http.status();
  if (!port_file.empty() && !tminus::WritePortFile(port_file, (*http)->port())) {
    return absl::UnavailableError(absl::StrCat("cannot write --http-port-file ", port_file));
  }
  return http;
}

// Before any thread starts: starting CPython sets process-wide state. Its
// code runs as this process's user, in this process (threads).
void StartPythonIfAllowed(const tminus::WorkerOptions& options) {
  if (!options.Allows(tminus::KernelKind::kPython)) return;
  if (geteuid() == 0) {
    tminus::Logger("worker")->warn("--allow-kernels python on a worker running as root: "
                                   "clients' Python code runs as root");
  }
  tminus::StartPython();
}

// Serves until a stop signal has drained it (0) or the coordinator refused
// it (1).
int Serve(tminus::WorkerOptions options, const WorkerFlags& flags,
          const tminus::TokenSet& metrics_tokens,
          const std::optional<tminus::HostPort>& http_address) {
  // Before any thread starts, so only sigwait sees the stop signals.
  const sigset_t signals = tminus::BlockStopSignals();
  StartPythonIfAllowed(options);
  std::unique_ptr<tminus::HealthServer> health;
  if (!flags.health_listen.empty()) {
    absl::StatusOr<std::unique_ptr<tminus::HealthServer>> started =
        tminus::HealthServer::Start(flags.health_listen);
    if (!started.ok()) {
      std::cerr << started.status().message() << "\n";
      return started.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
    health = std::move(*started);
  }
  options.on_connection = ConnectionNotifier(health.get(), options.coordinator);
  tminus::SessionClient client(options);
  tminus::WorkerMetrics metrics(&client, metrics_tokens);
  absl::StatusOr<std::unique_ptr<tminus::HttpServer>> http =
      StartMetricsHttp(http_address, flags.http_port_file, &metrics);
  if (!http.ok()) {
    std::cerr << http.status().message() << "\n";
    return 1;
  }
  // The stop signal is taken on its own thread; Run() serves on this one and
  // returns after the drain, or at once when the coordinator refuses us.
  absl::Notification drained;
  std::thread stopper([&] {
    const int received = tminus::WaitForStopSignal(signals);
    tminus::Logger("worker")->info("worker={} signal={} draining", options.worker_id, received);
    tminus::NotifyStopping();
    if (health) health->SetReady(false);
    // A planned stop: nothing is lost and nothing is retried because of it.
    client.Drain(std::chrono::milliseconds(static_cast<int64_t>(flags.drain_timeout_s * 1000)),
                 std::chrono::seconds(5));
    drained.Notify();
  });
  if (client.Run() == tminus::RunEnd::kRefused) {
    std::cerr << "tminus-worker: " << client.refusal() << "\n";
    stopper.detach();  // blocked in sigwait; the process ends now
    return 1;
  }
  drained.WaitForNotification();
  stopper.join();
  tminus::Logger("worker")->info("worker={} stopped", options.worker_id);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Abseil's mutex deadlock detector costs more than the work on the hot
  // path (a third of the worker's instructions per tiny chunk); the tests
  // keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc == 3 && std::strcmp(argv[1], "--child") == 0) {
    return tminus::ChildMain(static_cast<pid_t>(std::atol(argv[2])));
  }
  CLI::App app{"tminus-worker: runs countdown chunks leased by a tminus-coordinator, on local "
               "threads or local child processes. Dials out; needs no open port (but "
               "--health-listen).\nExit codes: 0 stopped (SIGTERM/SIGINT: drains first), 1 "
               "refused by the coordinator (token, name in use) or a start-up failure, 2 usage "
               "error."};
  tminus::WorkerOptions options;
  options.slots = tminus::OnlineCpus();
  WorkerFlags flags;
  AddWorkerFlags(app, &flags, &options);
  const int code = tminus::ParseDaemonFlags(app, "TMINUS_WORKER_", argc, argv);
  if (code >= 0) return code;
  if (!tminus::ApplyDaemonFlags(flags.daemon)) return 2;
  const bool named = app.get_option("--name")->count() > 0;
  if (absl::Status valid = ToOptions(flags, named, &options); !valid.ok()) return Usage(valid);
  // Read once: the python and command kernels' code must not find it in
  // the environment it inherits (before any thread starts: setenv is not
  // thread-safe).
  unsetenv("TMINUS_TOKEN");
  absl::StatusOr<tminus::TokenSet> metrics_tokens =
      tminus::TokenSet::LoadReaders(flags.metrics_token_file, "--metrics-token-file");
  if (!metrics_tokens.ok()) return Usage(metrics_tokens.status());
  std::optional<tminus::HostPort> http_address;
  if (!flags.http_listen.empty()) {
    absl::StatusOr<tminus::HostPort> parsed =
        tminus::ParseHostPort(flags.http_listen, "--http-listen", {-1, true});
    if (!parsed.ok()) return Usage(parsed.status());
    http_address = *parsed;
  }
  return Serve(std::move(options), flags, *metrics_tokens, http_address);
}
