#include "cli/local_cluster.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "common/status_macros.h"

namespace tminus {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(15);

bool ReadPort(const std::string& path, int* port) {
  std::ifstream in(path);
  return static_cast<bool>(in >> *port) && *port > 0;
}

}  // namespace

std::string LocalCluster::SelfDir() {
  char path[4096] = {};
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  const std::string self = n > 0 ? std::string(path, static_cast<size_t>(n)) : ".";
  return self.substr(0, self.rfind('/'));
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(LocalClusterOptions options) {
  mkdir(options.work_dir.c_str(), 0755);
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(std::move(options)));
  RETURN_IF_ERROR(cluster->StartCoordinator("127.0.0.1:0"));
  return cluster;
}

absl::Status LocalCluster::StartCoordinator(const std::string& listen) {
  const std::string port_file = options_.work_dir + "/coordinator.port";
  unlink(port_file.c_str());
  std::vector<std::string> argv = {options_.bin_dir + "/tminus-coordinator", "--listen", listen,
                                   "--port-file", port_file, "--log-level", options_.log_level,
                                   "--state-dir", options_.work_dir + "/state",
                                   "--exit-with-parent"};
  const std::string http_port_file = options_.work_dir + "/coordinator.http-port";
  unlink(http_port_file.c_str());
  if (options_.dashboard) {
    // The same HTTP port across a restart, once one was picked.
    argv.insert(argv.end(), {"--http-listen", absl::StrCat("127.0.0.1:", http_port_),
                             "--http-port-file", http_port_file});
  } else {
    argv.insert(argv.end(), {"--http-listen", ""});
  }
  argv.insert(argv.end(), options_.coordinator_flags.begin(), options_.coordinator_flags.end());
  absl::StatusOr<Subprocess> process =
      Subprocess::Start(argv, options_.work_dir + "/coordinator.log");
  if (!process.ok()) return process.status();
  coordinator_ = std::make_unique<Subprocess>(std::move(*process));
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!ReadPort(port_file, &port_)) {
    if (!coordinator_->running()) {
      return absl::InternalError(absl::StrCat("tminus-coordinator exited at start; see ",
                                              options_.work_dir, "/coordinator.log"));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError("tminus-coordinator did not start serving in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  address_ = absl::StrCat("127.0.0.1:", port_);
  if (options_.dashboard && !ReadPort(http_port_file, &http_port_)) {
    return absl::InternalError("tminus-coordinator did not write its HTTP port");
  }
  return absl::OkStatus();
}

std::string LocalCluster::dashboard_url() const {
  return http_port_ > 0 ? absl::StrCat("http://127.0.0.1:", http_port_, "/") : "";
}

absl::StatusOr<size_t> LocalCluster::AddWorker(const std::string& name, int slots,
                                               const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {options_.bin_dir + "/tminus-worker", "--coordinator", address_,
                                   "--name", name, "--slots", absl::StrCat(slots),
                                   "--log-level", options_.log_level, "--exit-with-parent"};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<Subprocess> process =
      Subprocess::Start(argv, absl::StrCat(options_.work_dir, "/", name, ".log"));
  if (!process.ok()) return process.status();
  workers_.push_back(std::move(*process));
  return workers_.size() - 1;
}

absl::Status LocalCluster::WaitForWorkers(int count, std::chrono::milliseconds timeout) {
  JobClient client(address_, std::chrono::seconds(2), options_.security);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    absl::StatusOr<v1::ListWorkersResponse> workers = client.Workers();
    int connected = 0;
    if (workers.ok()) {
      for (const auto& w : workers->workers()) {
        if (w.state() == v1::WORKER_STATE_CONNECTED) ++connected;
      }
    }
    if (connected >= count) return absl::OkStatus();
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "only ", connected, " of ", count, " workers connected in time; logs in ",
          options_.work_dir));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

absl::Status LocalCluster::RestartCoordinator() {
  KillCoordinator();
  return StartCoordinatorAgain();
}

void LocalCluster::KillCoordinator() {
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait(std::chrono::seconds(10));
}

absl::Status LocalCluster::StartCoordinatorAgain() {
  return StartCoordinator(absl::StrCat("127.0.0.1:", port_));
}

bool LocalCluster::Stop(std::chrono::milliseconds grace) {
  bool clean = true;
  for (Subprocess& worker : workers_) {
    if (worker.pid() > 0 && worker.Stop(grace) != 0) clean = false;
  }
  if (coordinator_ != nullptr && coordinator_->Stop(grace) != 0) clean = false;
  return clean;
}

LocalCluster::~LocalCluster() {
  Stop(std::chrono::seconds(2));
  if (options_.remove_work_dir && std::getenv("TMINUS_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(options_.work_dir, ignored);
  }
}

}  // namespace tminus
