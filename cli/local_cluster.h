// A coordinator and workers on 127.0.0.1 as child processes, on ephemeral
// ports: what `tminus demo` runs, and what the end-to-end tests drive.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/security.h"
#include "common/subprocess.h"

namespace tminus {

struct LocalClusterOptions {
  std::string bin_dir;   // holds tminus-coordinator and tminus-worker
  std::string work_dir;  // port file and logs; created if missing
  std::string log_level = "warn";
  std::vector<std::string> coordinator_flags;  // extra flags
  bool dashboard = false;  // serve the dashboard on a free 127.0.0.1 port (else no HTTP port)
  ClientSecurity security;  // what WaitForWorkers sends (with token files in coordinator_flags)
  // The destructor removes work_dir once it stopped the daemons (benchmarks:
  // their logs are of no use after; TMINUS_KEEP_TEST_DIRS=1 keeps it).
  bool remove_work_dir = false;
};

// Thread-compatible. The destructor stops everything it started, and the
// daemons get SIGTERM if this process dies first (`--exit-with-parent`, tied
// to the thread that starts them: start clusters from a long-lived thread).
class LocalCluster {
 public:
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(LocalClusterOptions options);
  ~LocalCluster();

  const std::string& address() const { return address_; }
  // "http://127.0.0.1:PORT/" with the dashboard on, else "".
  std::string dashboard_url() const;
  // Starts a worker; returns its index in workers().
  absl::StatusOr<size_t> AddWorker(const std::string& name, int slots,
                                   const std::vector<std::string>& extra_flags = {});
  // Until `count` workers are connected, or DEADLINE_EXCEEDED.
  absl::Status WaitForWorkers(int count, std::chrono::milliseconds timeout);
  // Kills the coordinator (SIGKILL) and starts it again on the same port.
  absl::Status RestartCoordinator();
  // The two halves of a restart, for tests that need time in between.
  void KillCoordinator();
  absl::Status StartCoordinatorAgain();
  const std::string& work_dir() const { return options_.work_dir; }
  int port() const { return port_; }
  int http_port() const { return http_port_; }

  Subprocess& coordinator() { return *coordinator_; }
  std::vector<Subprocess>& workers() { return workers_; }
  // SIGTERM to everyone (workers first), SIGKILL after `grace`. Returns
  // true when every process exited 0.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // The directory of the running binary (where the daemons are installed
  // alongside `tminus`).
  static std::string SelfDir();

 private:
  explicit LocalCluster(LocalClusterOptions options) : options_(std::move(options)) {}
  absl::Status StartCoordinator(const std::string& listen);

  LocalClusterOptions options_;
  std::unique_ptr<Subprocess> coordinator_;
  std::vector<Subprocess> workers_;
  std::string address_;
  int port_ = 0;
  int http_port_ = 0;
};

}  // namespace tminus
