#include "common/daemon.h"

#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <sys/resource.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <fstream>
#include <iostream>

#include "common/config_file.h"
#include "common/logging.h"
#include "common/host.h"

namespace tminus {

void AddDaemonFlags(CLI::App& app, DaemonFlags* flags) {
  app.set_version_flag("--version", std::string(Version()));
  app.add_option("--log-level", flags->log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--log-format", flags->log_format,
                 "text, or json (one object a line: time, level, component, msg, and each "
                 "key=value of the message as a key) for log collectors")
      ->capture_default_str()->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--exit-with-parent", flags->exit_with_parent,
               "get SIGTERM when the process that started this one dies (for local clusters "
               "started by `tminus demo` and the tests)")
      ->group("");
}

namespace {

// "TMINUS_WORKER_", --max-attempts: TMINUS_WORKER_MAX_ATTEMPTS.
std::string EnvNameOf(const std::string& prefix, const std::string& long_name) {
  std::string env = prefix;
  for (const char c : long_name) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

// A variable named as before 0.4 (TMINUS_SLOTS), which both daemons read,
// is set where its new name is not: say so rather than ignore it silently.
void WarnOfSharedNames(CLI::App& app, const std::string& prefix) {
  for (CLI::Option* option : app.get_options([](CLI::Option*) { return true; })) {
    const std::string& env = option->get_envname();
    if (env.rfind(prefix, 0) != 0 || std::getenv(env.c_str()) != nullptr) continue;
    const std::string old_name = EnvNameOf("TMINUS_", option->get_lnames().front());
    if (std::getenv(old_name.c_str()) == nullptr) continue;
    std::cerr << old_name << " is not read (since 0.4 each daemon has its own variables): this "
              << "one reads " << env << "\n";
  }
}

void AddConfigAndEnvironment(CLI::App& app, const std::string& prefix) {
  app.set_config("--config", "",
                 "TOML file of flags: the long flag names without --, one a line (slots = 8, "
                 "name = \"w1\"), at most 1 MiB; the command line overrides it");
  app.config_formatter(std::make_shared<StrictTomlConfig>());
  app.allow_config_extras(CLI::config_extras_mode::error);  // a typo is an error, not a no-op
  for (CLI::Option* option : app.get_options([](CLI::Option*) { return true; })) {
    const std::vector<std::string>& names = option->get_lnames();
    if (names.empty() || !option->get_envname().empty()) continue;
    const std::string& name = names.front();
    if (name == "help" || name == "version" || name == "config") continue;
    option->envname(EnvNameOf(prefix, name));
  }
}

// CLI11 skips an environment variable that is set but empty, so
// TMINUS_LISTEN= served on the default address while --listen '' is an
// error. One rule for every source: an empty value is the empty value
// (--http-listen '' turns HTTP off, --listen '' is refused), never the
// default. Runs after the parse: a flag given on the command line or in the
// file wins, as for any variable. Throws CLI::Error for a value refused.
void ApplyEmptyEnvironment(CLI::App& app) {
  for (CLI::Option* option : app.get_options([](CLI::Option*) { return true; })) {
    const std::string& env = option->get_envname();
    if (option->count() > 0 || env.empty()) continue;
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value != '\0') continue;
    try {
      option->add_result(std::string());
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw CLI::ValidationError(env + " (set but empty)", e.what());
    }
  }
}

}  // namespace

int ParseDaemonFlags(CLI::App& app, const std::string& env_prefix, int argc, char** argv) {
  AddConfigAndEnvironment(app, env_prefix);
  WarnOfSharedNames(app, env_prefix);
  try {
    app.parse(argc, argv);
    ApplyEmptyEnvironment(app);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help or --version, printed
  } catch (const CLI::ConfigError& e) {
    std::cerr << "--config: " << e.what()
              << " (keys are the long flag names without --, e.g. max-attempts = 5)\n";
    return 2;
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
  if (!SetLogFormat(flags.log_format)) {
    std::cerr << "--log-format: must be text or json, got '" << flags.log_format << "'\n";
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

void NotifyReady(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void NotifyStatus(const std::string& status) { sd_notify(0, ("STATUS=" + status).c_str()); }

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
