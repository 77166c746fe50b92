#include "cli/cluster.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/cluster_plan.h"
#include "common/files.h"

namespace tminus {
namespace {

namespace fs = std::filesystem;

constexpr char kRecordFile[] = "cluster.txt";

// Written 0600 from the start: these hold tokens.
absl::Status WritePrivate(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::remove(tmp.c_str());
  const mode_t old_mask = umask(077);
  std::ofstream out(tmp, std::ios::trunc);
  out << text;
  out.close();
  umask(old_mask);
  if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

// 24 random bytes as hex: a token for this cluster alone. UNAVAILABLE when
// the kernel gives no randomness (a token of zeros would let anyone in).
absl::StatusOr<std::string> NewToken() {
  unsigned char bytes[24] = {};
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("cannot make a cluster token: getrandom: ", std::strerror(errno)));
    }
  }
  std::string hex;
  for (unsigned char b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

// `user@host` -> `host`: what the workers dial and names are made of.
std::string Address(const std::string& host) {
  const size_t at = host.rfind('@');
  return at == std::string::npos ? host : host.substr(at + 1);
}

// A host as part of a remote file name.
std::string FileSafe(const std::string& text) {
  std::string safe = text;
  for (char& c : safe) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  }
  return safe;
}

std::string Bin(const std::string& remote_bin_dir, const std::string& name) {
  return remote_bin_dir.empty() ? name : absl::StrCat(remote_bin_dir, "/", name);
}

// Starts `bin args` detached (its own session, output to `log`) in the
// remote dir, after writing each line of stdin to the next of `secret_files`
// (mode 0600). Prints `pid N` once the daemon has stayed up for a second,
// else the end of its log on stderr and exits 1.
std::string StartScript(const std::string& remote_dir, const std::string& bin,
                        const std::vector<std::string>& args, const std::string& log,
                        const std::vector<std::string>& secret_files) {
  std::string s = absl::StrCat("set -e\nmkdir -p ", ShellQuote(remote_dir), "\ncd ",
                               ShellQuote(remote_dir), "\n");
  absl::StrAppend(&s, "command -v ", ShellQuote(bin), " >/dev/null || { echo ",
                  ShellQuote(absl::StrCat(bin, " not found (see --remote-bin-dir)")),
                  " >&2; exit 127; }\n");
  absl::StrAppend(&s, "umask 077\n");
  for (const std::string& file : secret_files) {
    absl::StrAppend(&s, "read -r line\nprintf '%s\\n' \"$line\" > ", ShellQuote(file), "\n");
  }
  absl::StrAppend(&s, "umask 022\nsetsid ", ShellQuote(bin));
  for (const std::string& arg : args) absl::StrAppend(&s, " ", ShellQuote(arg));
  absl::StrAppend(&s, " > ", ShellQuote(log), " 2>&1 < /dev/null &\n", "pid=$!\nsleep 1\n",
                  "if kill -0 \"$pid\" 2>/dev/null; then echo \"pid $pid\"; exit 0; fi\n",
                  "echo ", ShellQuote(absl::StrCat(bin, " exited at once; the end of ", log, ":")),
                  " >&2\ntail -n 5 ", ShellQuote(log), " >&2\nexit 1\n");
  return s;
}

// SIGTERM to `pid` if it is still the `binary` we started (a zombie or a
// reused pid is left alone), then waits up to `limit`, then SIGKILL. Prints
// stopped, killed or gone.
std::string StopScript(const std::string& remote_dir, int pid, const std::string& binary,
                       const std::vector<std::string>& secret_files,
                       std::chrono::seconds limit) {
  std::string s = absl::StrCat("cd ", ShellQuote(remote_dir), " 2>/dev/null || true\n", "pid=", pid,
                               "\n");
  for (const std::string& file : secret_files) absl::StrAppend(&s, "rm -f ", ShellQuote(file), "\n");
  absl::StrAppend(
      &s, "alive() { [ -r /proc/$pid/stat ] && ! grep -q ') Z ' /proc/$pid/stat; }\n",
      "ours() { tr '\\0' '\\n' < /proc/$pid/cmdline 2>/dev/null | head -n 1 | grep -q ",
      ShellQuote(binary + "$"), "; }\n",
      "if ! alive || ! ours; then echo gone; exit 0; fi\n", "kill -TERM $pid\ni=0\n",
      "while alive; do\n  if [ $i -ge ", limit.count() * 10,
      " ]; then kill -KILL $pid; echo killed; exit 0; fi\n  sleep 0.1\n  i=$((i+1))\ndone\n",
      "echo stopped\n");
  return s;
}

// The remote file names of one daemon.
struct DaemonFiles {
  std::string log;
  std::vector<std::string> secrets;
};

DaemonFiles FilesOf(const StartedDaemon& daemon) {
  if (daemon.role == "coordinator") {
    const std::string base = "coordinator-" + FileSafe(Address(daemon.host));
    return {base + ".log", {base + ".worker-tokens", base + ".client-tokens"}};
  }
  const std::string base = "worker-" + FileSafe(daemon.name);
  return {base + ".log", {base + ".token"}};
}

std::string Why(const std::string& host, const RemoteResult& result, std::chrono::seconds limit) {
  if (result.exit_code == -1) return absl::StrCat(host, ": no answer within ", limit.count(), " s");
  if (result.exit_code == 255) {
    return absl::StrCat(host, ": cannot reach it over ssh: ", LastLine(result.err));
  }
  return absl::StrCat(host, ": ", LastLine(result.err));
}

class Launcher {
 public:
  Launcher(const ClusterUpOptions& options, std::ostream& progress)
      : options_(options), progress_(progress) {
    record_.ssh_user = options.ssh.user;
    record_.ssh_identity = options.ssh.identity;
    record_.ssh_config = options.ssh.config;
    record_.remote_dir = options.remote_dir;
  }

  absl::StatusOr<ClusterUpResult> Run(const HostsPlan& plan);

 private:
  absl::Status PrepareTokens();
  absl::Status StartCoordinator(const HostEntry& entry);
  absl::Status StartWorkers(const std::vector<HostEntry>& entries);
  absl::Status WaitForWorkers();
  absl::Status SaveRecord() {
    return WritePrivate(options_.state_dir + "/" + kRecordFile, FormatClusterRecord(record_));
  }
  std::string Path(const std::string& name) const { return options_.state_dir + "/" + name; }
  // One channel to the coordinator for all the polling, made once its
  // address is known.
  JobClient& Client() {
    if (!client_) {
      ClientSecurity security;
      security.token = client_token_;
      client_.emplace(result_.coordinator, std::chrono::seconds(2), security);
    }
    return *client_;
  }

  const ClusterUpOptions& options_;
  std::ostream& progress_;
  ClusterRecord record_;
  ClusterUpResult result_;
  std::string client_token_;
  std::optional<JobClient> client_;
};

absl::Status Launcher::PrepareTokens() {
  client_token_ = options_.client_token;
  if (client_token_.empty()) {
    absl::StatusOr<std::string> token = NewToken();
    if (!token.ok()) return token.status();
    client_token_ = *token;
  }
  absl::StatusOr<std::string> worker_token_or = NewToken();
  if (!worker_token_or.ok()) return worker_token_or.status();
  const std::string& worker_token = *worker_token_or;
  result_.client_token_file = Path("client.token");
  for (const auto& [name, text] : std::map<std::string, std::string>{
           {"client.token", client_token_ + "\n"},
           {"worker.stdin", worker_token + "\n"},
           {"coordinator.stdin", absl::StrCat(worker_token, "\n", client_token_, "\n")}}) {
    absl::Status status = WritePrivate(Path(name), text);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status Launcher::StartCoordinator(const HostEntry& entry) {
  StartedDaemon daemon;
  daemon.role = "coordinator";
  daemon.host = entry.host;
  daemon.port = entry.port;
  const DaemonFiles files = FilesOf(daemon);
  const std::string state = "coordinator-" + FileSafe(Address(entry.host)) + ".state";
  // The dashboard stays on the coordinator host's loopback (an ssh tunnel
  // reaches it), on the port after the gRPC one.
  const std::vector<std::string> args = {
      "--listen", absl::StrCat("0.0.0.0:", entry.port),
      "--http-listen", absl::StrCat("127.0.0.1:", entry.port + 1), "--state-dir", state,
      "--worker-token-file", files.secrets[0], "--client-token-file", files.secrets[1],
      "--log-level", options_.log_level};
  progress_ << "starting the coordinator on " << entry.host << "\n";
  absl::StatusOr<RemoteRun> run = RemoteRun::Start(
      options_.ssh, entry.host,
      StartScript(options_.remote_dir, Bin(options_.remote_bin_dir, "tminus-coordinator"), args,
                  files.log, files.secrets),
      options_.state_dir, Path("coordinator.stdin"));
  if (!run.ok()) return run.status();
  const RemoteResult result = run->Finish(options_.timeout);
  if (result.exit_code != 0 || !absl::SimpleAtoi(absl::StripPrefix(LastLine(result.out), "pid "),
                                                 &daemon.pid)) {
    return absl::UnavailableError("coordinator on " + Why(entry.host, result, options_.timeout));
  }
  record_.daemons.push_back(daemon);
  absl::Status saved = SaveRecord();
  if (!saved.ok()) return saved;
  result_.coordinator = absl::StrCat(Address(entry.host), ":", entry.port);
  result_.dashboard = absl::StrCat("ssh -N -L ", entry.port + 1, ":127.0.0.1:", entry.port + 1, " ",
                                   entry.host, ", then http://127.0.0.1:", entry.port + 1, "/");
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  absl::Status serving = Client().Workers().status();
  while (!serving.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    serving = Client().Workers().status();
  }
  if (!serving.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the coordinator on ", entry.host, " does not answer on ", result_.coordinator, ": ",
        serving.message(), " (its log: ", options_.remote_dir, "/", files.log, " there)"));
  }
  return absl::OkStatus();
}

absl::Status Launcher::StartWorkers(const std::vector<HostEntry>& entries) {
  std::map<std::string, int> seen;  // a host listed twice gets two names
  std::vector<std::pair<StartedDaemon, absl::StatusOr<RemoteRun>>> runs;
  for (const HostEntry& entry : entries) {
    StartedDaemon daemon;
    daemon.role = "worker";
    daemon.host = entry.host;
    daemon.name = Address(entry.host);
    if (int n = seen[daemon.name]++; n > 0) absl::StrAppend(&daemon.name, "-", n + 1);
    const DaemonFiles files = FilesOf(daemon);
    std::vector<std::string> args = {"--coordinator", result_.coordinator, "--name", daemon.name,
                                     "--token-file", files.secrets[0], "--log-level",
                                     options_.log_level};
    if (entry.slots > 0) args.insert(args.end(), {"--slots", std::to_string(entry.slots)});
    progress_ << "starting worker " << daemon.name << " on " << entry.host << "\n";
    runs.emplace_back(daemon, RemoteRun::Start(
        options_.ssh, entry.host,
        StartScript(options_.remote_dir, Bin(options_.remote_bin_dir, "tminus-worker"), args,
                    files.log, files.secrets),
        options_.state_dir, Path("worker.stdin")));
  }
  std::vector<std::string> failures;
  for (auto& [daemon, run] : runs) {
    if (!run.ok()) {
      failures.push_back(absl::StrCat(daemon.host, ": ", run.status().message()));
      continue;
    }
    const RemoteResult result = run->Finish(options_.timeout);
    if (result.exit_code == 0 &&
        absl::SimpleAtoi(absl::StripPrefix(LastLine(result.out), "pid "), &daemon.pid)) {
      record_.daemons.push_back(daemon);
    } else {
      failures.push_back("worker on " + Why(daemon.host, result, options_.timeout));
    }
  }
  absl::Status saved = SaveRecord();
  if (!failures.empty()) return absl::UnavailableError(absl::StrJoin(failures, "; "));
  return saved;
}

absl::Status Launcher::WaitForWorkers() {
  std::map<std::string, std::string> missing;  // name -> host
  for (const StartedDaemon& d : record_.daemons) {
    if (d.role == "worker") missing[d.name] = d.host;
  }
  progress_ << "waiting for " << missing.size() << " worker(s) to join\n";
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (true) {
    absl::StatusOr<v1::ListWorkersResponse> workers = Client().Workers();
    if (workers.ok()) {
      for (const v1::WorkerInfo& w : workers->workers()) {
        if (w.state() == v1::WORKER_STATE_CONNECTED) missing.erase(w.worker_id());
      }
      result_.workers = *workers;
    }
    if (missing.empty()) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::vector<std::string> hosts;
  for (const auto& [name, host] : missing) hosts.push_back(host);
  return absl::UnavailableError(absl::StrCat(
      "worker(s) on ", absl::StrJoin(hosts, ", "), " did not join within ",
      options_.timeout.count(), " s (their logs: ", options_.remote_dir, "/worker-*.log there)"));
}

absl::StatusOr<ClusterUpResult> Launcher::Run(const HostsPlan& plan) {
  absl::Status status = PrepareTokens();
  if (status.ok()) status = StartCoordinator(plan.coordinator);
  if (status.ok()) status = StartWorkers(plan.workers);
  if (status.ok()) status = WaitForWorkers();
  std::remove(Path("worker.stdin").c_str());
  std::remove(Path("coordinator.stdin").c_str());
  if (status.ok()) return result_;
  if (!record_.daemons.empty()) {
    progress_ << "stopping what was started\n";
    ClusterDown(options_.state_dir, options_.timeout, progress_).IgnoreError();
  } else {
    std::remove(Path("client.token").c_str());
    std::error_code ignored;
    fs::remove(options_.state_dir, ignored);  // only when empty
  }
  return status;
}

}  // namespace

absl::StatusOr<ClusterUpResult> ClusterUp(const ClusterUpOptions& options,
                                          std::ostream& progress) {
  std::ifstream hosts(options.hosts_file);
  if (!hosts) {
    return absl::InvalidArgumentError(absl::StrCat("--hosts: cannot read '", options.hosts_file,
                                                   "'"));
  }
  absl::StatusOr<HostsPlan> plan = ParseHostsFile(ReadWholeFile(options.hosts_file).value_or(""));
  if (!plan.ok()) return plan.status();
  const std::string record = options.state_dir + "/" + kRecordFile;
  if (fs::exists(record)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a cluster is already recorded in ", record, ": run `tminus cluster down --state ",
        options.state_dir, "` first"));
  }
  std::error_code error;
  fs::create_directories(options.state_dir, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("--state: cannot create '", options.state_dir,
                                                   "': ", error.message()));
  }
  Launcher launcher(options, progress);
  return launcher.Run(*plan);
}

absl::Status ClusterDown(const std::string& state_dir, std::chrono::seconds timeout,
                         std::ostream& progress) {
  const std::string path = state_dir + "/" + kRecordFile;
  if (!fs::exists(path)) {
    return absl::NotFoundError(absl::StrCat("no cluster is recorded in ", state_dir,
                                            " (nothing to stop)"));
  }
  absl::StatusOr<ClusterRecord> record = ParseClusterRecord(ReadWholeFile(path).value_or(""));
  if (!record.ok()) return record.status();
  SshOptions ssh;
  ssh.user = record->ssh_user;
  ssh.identity = record->ssh_identity;
  ssh.config = record->ssh_config;
  std::vector<StartedDaemon> left;
  std::vector<std::string> failures;
  // Workers first, all at once (each drains), then the coordinator.
  for (const std::string role : {"worker", "coordinator"}) {
    std::vector<std::pair<StartedDaemon, absl::StatusOr<RemoteRun>>> runs;
    for (const StartedDaemon& d : record->daemons) {
      if (d.role != role) continue;
      const std::string binary = role == "worker" ? "tminus-worker" : "tminus-coordinator";
      runs.emplace_back(d, RemoteRun::Start(ssh, d.host,
                                            StopScript(record->remote_dir, d.pid, binary,
                                                       FilesOf(d).secrets, timeout),
                                            state_dir));
    }
    for (auto& [d, run] : runs) {
      const RemoteResult result =
          run.ok() ? run->Finish(timeout + std::chrono::seconds(15)) : RemoteResult{};
      if (result.exit_code == 0) {
        const bool named = !d.name.empty() && d.name != Address(d.host);
        progress << role << " " << (named ? d.name + " on " : "") << d.host << ": "
                 << LastLine(result.out) << "\n";
      } else {
        failures.push_back(Why(d.host, result, timeout));
        left.push_back(d);
      }
    }
  }
  if (!failures.empty()) {
    record->daemons = left;
    WritePrivate(path, FormatClusterRecord(*record)).IgnoreError();
    return absl::UnavailableError(absl::StrCat("could not stop: ", absl::StrJoin(failures, "; "),
                                               " (run `tminus cluster down` again)"));
  }
  fs::remove(path);
  fs::remove(state_dir + "/client.token");
  std::error_code ignored;
  fs::remove(state_dir, ignored);  // only when empty
  return absl::OkStatus();
}

}  // namespace tminus
