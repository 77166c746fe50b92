// `tminus cluster up|down`: start a coordinator and workers on other hosts
// over SSH, wait until every worker has joined, and stop them again, like
// `ipcluster ssh`, `dask-ssh` or `ray up`. What was started is recorded in a
// local state folder, so `down` stops exactly that, by pid.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "cli/ssh.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

struct ClusterUpOptions {
  std::string hosts_file;
  SshOptions ssh;
  std::string remote_bin_dir;          // empty: the binaries are on the remote PATH
  std::string remote_dir = ".tminus";  // logs, state, tokens; relative: under the remote home
  std::string state_dir = "tminus-cluster";  // local: the record and the tokens
  std::string client_token;  // the caller's token; empty: one is made
  std::string log_level = "info";
  std::chrono::seconds timeout{60};  // for each step: ssh, serving, workers joining
};

struct ClusterUpResult {
  std::string coordinator;        // HOST:PORT
  std::string dashboard;          // how to reach the dashboard (an ssh tunnel, then a URL)
  std::string client_token_file;  // local path of the token clients send
  v1::ListWorkersResponse workers;
};

// INVALID_ARGUMENT for a bad hosts file, FAILED_PRECONDITION when a cluster
// is already recorded in state_dir, UNAVAILABLE when a host cannot be
// reached or a daemon does not start or join (named in the message). On
// failure whatever this call started has been stopped again.
absl::StatusOr<ClusterUpResult> ClusterUp(const ClusterUpOptions& options,
                                          std::ostream& progress);

// Stops the workers (SIGTERM: they drain), then the coordinator, and forgets
// the cluster. NOT_FOUND when none is recorded; UNAVAILABLE naming the hosts
// that could not be reached (they stay in the record, so `down` can be run
// again).
absl::Status ClusterDown(const std::string& state_dir, std::chrono::seconds timeout,
                         std::ostream& progress);

}  // namespace tminus
