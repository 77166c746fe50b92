#include "common/daemon.h"

#include <sys/prctl.h>

#include <iostream>

#include "common/logging.h"

namespace tminus {

void AddDaemonFlags(CLI::App& app, DaemonFlags* flags) {
  app.add_option("--log-level", flags->log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_flag("--exit-with-parent", flags->exit_with_parent,
               "get SIGTERM when the process that started this one dies (for local clusters "
               "started by `tminus demo` and the tests)")
      ->group("");
}

bool ApplyDaemonFlags(const DaemonFlags& flags) {
  if (flags.exit_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (!SetLogLevel(flags.log_level)) {
    std::cerr << "--log-level: unknown level '" << flags.log_level << "'\n";
    return false;
  }
  return true;
}

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

int WaitForStopSignal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace tminus
