#include "common/daemon.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/logging.h"
#include "common/host.h"

namespace tminus {

void AddDaemonFlags(CLI::App& app, DaemonFlags* flags) {
  app.set_version_flag("--version", std::string(Version()));
  app.add_option("--log-level", flags->log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_flag("--exit-with-parent", flags->exit_with_parent,
               "get SIGTERM when the process that started this one dies (for local clusters "
               "started by `tminus demo` and the tests)")
      ->group("");
}

int ParseDaemonFlags(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help or --version, printed
  } catch (const CLI::Error& e) {
    app.exit(e);  // prints the message
    return 2;
  }
  return -1;
}

bool ApplyDaemonFlags(const DaemonFlags& flags) {
  if (flags.exit_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (!SetLogLevel(flags.log_level)) {
    std::cerr << "--log-level: unknown level '" << flags.log_level << "'\n";
    return false;
  }
  return true;
}

CLI::Validator Finite() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double value = 0;
        try {
          size_t used = 0;
          value = std::stod(text, &used);
          if (used != text.size()) return "not a number: " + text;
        } catch (const std::exception&) {
          return "not a number: " + text;
        }
        return std::isfinite(value) ? std::string() : "must be a finite number, got " + text;
      },
      "FINITE");
}

FdLimit RaiseFdLimit() {
  FdLimit limit;
  struct rlimit now {};
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) return limit;
  limit.soft_before = now.rlim_cur;
  limit.hard = now.rlim_max;
  if (now.rlim_cur < now.rlim_max) {
    struct rlimit raised = now;
    raised.rlim_cur = now.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) now = raised;
  }
  limit.soft = now.rlim_cur;
  return limit;
}

bool WritePortFile(const std::string& path, int port) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(temp.c_str(), path.c_str()) == 0;
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
