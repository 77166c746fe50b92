// What both daemons (tminus-coordinator, tminus-worker) do the same way:
// flags (log level, parent death, --version, exit codes), the file
// descriptor limit, and stop signals taken by sigwait.
#pragma once

#include <signal.h>

#include <cstdint>
#include <string>

#include "CLI/CLI.hpp"

namespace tminus {

struct DaemonFlags {
  std::string log_level = "info";
  std::string log_format = "text";
  bool exit_with_parent = false;
};

void AddDaemonFlags(CLI::App& app, DaemonFlags* flags);
// Parses the command line, after adding --config FILE (strict TOML, at most
// 1 MiB: the long flag names without "--", e.g. `slots = 8`) and an
// environment variable for every long flag that has none yet: the daemon's
// own prefix and the flag (`env_prefix` "TMINUS_COORDINATOR_":
// --max-attempts is TMINUS_COORDINATOR_MAX_ATTEMPTS), so that variables
// exported for one daemon never reach the other in the same shell.
// Precedence: the command line, then the config file, then the environment.
// An empty value means the same from every source (a variable set but empty
// is not the default). A variable of the names before 0.4 (TMINUS_<FLAG>)
// is not read; a warning names its new name.
// Returns -1 to go on, or the code to exit with: 0 after --help or
// --version, 2 for a usage error (its message printed).
int ParseDaemonFlags(CLI::App& app, const std::string& env_prefix, int argc, char** argv);
// Applies them after parsing; false (with a message on stderr) for a bad level.
bool ApplyDaemonFlags(const DaemonFlags& flags);

// For floating-point flags: refuses nan and inf, which CLI::Range lets
// through (every comparison with nan is false).
CLI::Validator Finite();

struct FdLimit {
  uint64_t soft_before = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};
// Raises the soft RLIMIT_NOFILE to the hard one: every connection costs a
// file descriptor, and running out stops a server from accepting.
FdLimit RaiseFdLimit();

// Writes "PORT\n" to `path` through a rename, so a reader never sees half a
// file. False when it cannot.
bool WritePortFile(const std::string& path, int port);

// Tells the service manager (systemd, Type=notify) that the daemon is ready,
// with a status line; or that it is stopping; or a new status. No-ops when
// not started by one (no NOTIFY_SOCKET).
void NotifyReady(const std::string& status);
void NotifyStopping();
void NotifyStatus(const std::string& status);

// Blocks SIGTERM and SIGINT in the calling thread (call before any thread
// starts, so every thread inherits it) and ignores SIGPIPE.
sigset_t BlockStopSignals();
// Waits for one of them; returns its number.
int WaitForStopSignal(const sigset_t& signals);

}  // namespace tminus
