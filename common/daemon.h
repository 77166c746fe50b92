// What both daemons (tminus-coordinator, tminus-worker) do the same way:
// log level and parent-death flags, and stop signals taken by sigwait.
#pragma once

#include <signal.h>

#include <string>

#include "CLI/CLI.hpp"

namespace tminus {

struct DaemonFlags {
  std::string log_level = "info";
  bool exit_with_parent = false;
};

void AddDaemonFlags(CLI::App& app, DaemonFlags* flags);
// Applies them after parsing; false (with a message on stderr) for a bad level.
bool ApplyDaemonFlags(const DaemonFlags& flags);

// Blocks SIGTERM and SIGINT in the calling thread (call before any thread
// starts, so every thread inherits it) and ignores SIGPIPE.
sigset_t BlockStopSignals();
// Waits for one of them; returns its number.
int WaitForStopSignal(const sigset_t& signals);

}  // namespace tminus
