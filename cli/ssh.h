// Running shell scripts on other hosts with the system's `ssh` client, for
// `tminus cluster`. BatchMode: never a password prompt; a host that cannot
// be reached fails within the connect timeout.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/subprocess.h"

namespace tminus {

struct SshOptions {
  std::string user;      // -l; empty: ssh's default (or user@ in the host)
  std::string identity;  // -i
  std::string config;    // -F
  int connect_timeout_s = 10;
};

// `text` as one word for a POSIX shell.
std::string ShellQuote(const std::string& text);

// The ssh command line that runs `script` with sh on `host`.
std::vector<std::string> SshArgv(const SshOptions& options, const std::string& host,
                                 const std::string& script);

struct RemoteResult {
  int exit_code = -1;  // 255: ssh itself failed (unreachable, refused, auth)
  std::string out;
  std::string err;
};

// A script running on a host; several can run at once. Output goes to files
// under `scratch_dir`, which must exist.
class RemoteRun {
 public:
  // `stdin_path` (optional) is fed to the script's stdin: how secrets travel
  // without showing up in any command line.
  static absl::StatusOr<RemoteRun> Start(const SshOptions& options, const std::string& host,
                                         const std::string& script,
                                         const std::string& scratch_dir,
                                         const std::string& stdin_path = "");
  // Waits up to `timeout`; past it the ssh client is killed and exit_code is -1.
  RemoteResult Finish(std::chrono::milliseconds timeout);

 private:
  RemoteRun(Subprocess process, std::string out_path)
      : process_(std::move(process)), out_path_(std::move(out_path)) {}
  Subprocess process_;
  std::string out_path_;
};

// The last non-empty line of ssh's or the script's stderr, for error messages.
std::string LastLine(const std::string& text);

}  // namespace tminus
