// What `tminus cluster up` reads and writes: the hosts file people write,
// and the record of what it started, which `cluster down` reads back.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tminus {

// One line of the hosts file: `coordinator HOST [port=P]` or
// `worker HOST [slots=N]`. HOST may be `user@host`.
struct HostEntry {
  std::string host;
  int port = 7070;  // coordinator: the port it serves on
  int slots = 0;    // worker: 0 lets the worker use its online CPUs
  int line = 0;
};

struct HostsPlan {
  HostEntry coordinator;
  std::vector<HostEntry> workers;
};

// INVALID_ARGUMENT naming the line and what is wrong with it.
absl::StatusOr<HostsPlan> ParseHostsFile(const std::string& text);

// One daemon `cluster up` started: where, which, and its pid there.
struct StartedDaemon {
  std::string role;  // "coordinator" or "worker"
  std::string host;
  int pid = 0;
  int port = 0;      // coordinator only
  std::string name;  // worker only: its --name
};

// How to reach the hosts again, and what runs there.
struct ClusterRecord {
  std::string ssh_user;
  std::string ssh_identity;
  std::string ssh_config;
  std::string remote_dir;
  std::vector<StartedDaemon> daemons;
};

// Plain text, one `key value...` a line, so a person can read it too.
std::string FormatClusterRecord(const ClusterRecord& record);
absl::StatusOr<ClusterRecord> ParseClusterRecord(const std::string& text);

}  // namespace tminus
