#include "worker/command_kernel.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/text.h"

extern char** environ;

namespace tminus {
namespace {

constexpr int kPollMs = 20;

// The paths argv[0] may be: itself when it holds a '/', else its name in
// each PATH directory, tried in order by the child (as the user it runs as,
// like execvp, which is not safe after fork).
std::vector<std::string> ProgramPaths(const std::string& name) {
  if (name.find('/') != std::string::npos) return {name};
  const char* path = std::getenv("PATH");
  std::vector<std::string> paths;
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    paths.push_back(absl::StrCat(dir.empty() ? "." : dir, "/", name));
  }
  return paths;
}

// The worker's environment, with the chunk's TMINUS_* values.
std::vector<std::string> ChunkEnvironment(const ChunkValues& v) {
  std::vector<std::string> env = {
      absl::StrCat("TMINUS_JOB=", v.job), absl::StrCat("TMINUS_CHUNK=", v.chunk),
      absl::StrCat("TMINUS_ATTEMPT=", v.attempt), absl::StrCat("TMINUS_START=", v.start),
      absl::StrCat("TMINUS_COUNT=", v.count)};
  // None of the worker's own TMINUS_* settings (its token among them).
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view text(*entry);
    if (!absl::StartsWith(text, "TMINUS_")) env.emplace_back(text);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(const std::vector<char*>& paths, char* const* argv, char* const* envp,
                            int devnull, int stderr_fd, int status_fd,
                            const std::optional<RunAs>& run_as, pid_t worker) {
  setpgid(0, 0);
  dup2(devnull, STDIN_FILENO);
  dup2(devnull, STDOUT_FILENO);
  dup2(stderr_fd, STDERR_FILENO);
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &action, nullptr);  // ignored in the worker; not in its programs
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  bool ok = true;
  if (run_as.has_value()) {
    ok = setgroups(0, nullptr) == 0 && setgid(run_as->gid) == 0 && setuid(run_as->uid) == 0;
  }
  // After the user change, which clears it: never outlive the worker (and
  // if it died already, do not start).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != worker) _exit(127);
  int error = errno;
  bool denied = false;  // as execvp: a later match may still run
  for (size_t i = 0; ok && i < paths.size(); ++i) {
    execve(paths[i], argv, envp);
    error = errno;
    denied = denied || error == EACCES;
    if (error != ENOENT && error != EACCES && error != ENOTDIR) break;
  }
  if (ok && denied && (error == ENOENT || error == ENOTDIR)) error = EACCES;
  (void)!write(status_fd, &error, sizeof(error));
  _exit(127);
}

// Keeps the last kStderrTailBytes of what comes through `fd`; false at EOF.
bool ReadInto(int fd, std::string* tail) {
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return false;
  if (n > 0) {
    tail->append(buffer, static_cast<size_t>(n));
    if (tail->size() > 2 * kStderrTailBytes) tail->erase(0, tail->size() - kStderrTailBytes);
  }
  return true;
}

std::string Describe(const std::string& program, int status, const std::string& tail) {
  std::string out = (program.size() > 128 ? Utf8Tail(program.substr(0, 125), 125) + "..." : program) + ": ";
  if (WIFEXITED(status)) {
    absl::StrAppend(&out, "exit status ", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    absl::StrAppend(&out, "killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  } else {
    absl::StrAppend(&out, "ended with wait status ", status);
  }
  // One line, its lines joined by " | ", then its last kStderrTailBytes.
  std::string text(tail);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  text = Utf8Tail(absl::StrReplaceAll(text, {{"\n", " | "}}), kStderrTailBytes);
  if (!text.empty()) absl::StrAppend(&out, "; stderr: ", text);
  return out;
}

}  // namespace

absl::StatusOr<RunAs> LookUpUser(const std::string& name) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  uint32_t uid = 0;
  const int rc = absl::SimpleAtoi(name, &uid)
                     ? getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found)
                     : getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--run-as: no user '", EscapeForLog(name), "' on this host"));
  }
  return RunAs{found->pw_uid, found->pw_gid, found->pw_name};
}

CommandRun RunCommandChunk(const std::vector<std::string>& argv_template, const ChunkValues& values,
                           const std::atomic<bool>& stop, const CommandOptions& options) {
  CommandRun run;
  const RealClock* clock = RealClock::Get();
  run.start_mono_ns = clock->MonoNs();
  std::vector<std::string> argv = ExpandCommand(argv_template, values);
  std::vector<std::string> paths = ProgramPaths(argv[0]);
  auto fail = [&](std::string error) {
    run.error = std::move(error);
    run.end_mono_ns = clock->MonoNs();
    return run;
  };
  std::vector<std::string> env = ChunkEnvironment(values);
  std::vector<char*> argv_ptrs = Pointers(argv);
  std::vector<char*> env_ptrs = Pointers(env);
  std::vector<char*> path_ptrs = Pointers(paths);
  path_ptrs.pop_back();  // no terminator: the child counts them
  int err[2], status[2];
  const int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0 || pipe2(err, O_CLOEXEC) != 0) {
    if (devnull >= 0) close(devnull);
    return fail(absl::StrCat("cannot start ", argv[0], ": ", strerror(errno)));
  }
  if (pipe2(status, O_CLOEXEC) != 0) {
    for (int fd : {devnull, err[0], err[1]}) close(fd);
    return fail(absl::StrCat("cannot start ", argv[0], ": ", strerror(errno)));
  }
  const pid_t worker = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(path_ptrs, argv_ptrs.data(), env_ptrs.data(), devnull, err[1], status[1],
              options.run_as, worker);
  }
  for (int fd : {devnull, err[1], status[1]}) close(fd);
  if (pid < 0) {
    for (int fd : {err[0], status[0]}) close(fd);
    return fail(absl::StrCat("cannot start ", argv[0], ": fork: ", strerror(errno)));
  }
  setpgid(pid, pid);  // also here: no signal may reach the group before it exists
  int exec_error = 0;
  const bool exec_failed = read(status[0], &exec_error, sizeof(exec_error)) == sizeof(exec_error);
  close(status[0]);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  std::string tail;
  bool stderr_open = true;
  int64_t stopped_at = 0;
  const int64_t grace_ns = std::chrono::nanoseconds(options.kill_grace).count();
  for (;;) {
    pollfd fd{err[0], POLLIN, 0};
    if (poll(&fd, stderr_open ? 1 : 0, kPollMs) > 0) stderr_open = ReadInto(err[0], &tail);
    siginfo_t info{};
    // WNOWAIT: not reaped yet, so its group id cannot be reused meanwhile.
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) break;
    if (!stop.load(std::memory_order_relaxed)) continue;
    const int64_t now = clock->MonoNs();
    if (stopped_at == 0) {
      kill(-pid, SIGTERM);
      stopped_at = now;
    } else if (now - stopped_at > grace_ns) {
      kill(-pid, SIGKILL);
    }
  }
  kill(-pid, SIGKILL);  // whatever its group still holds
  int wait_status = 0;
  struct rusage usage {};
  while (wait4(pid, &wait_status, 0, &usage) < 0 && errno == EINTR) {
  }
  run.end_mono_ns = clock->MonoNs();
  for (int i = 0; i < 50 && stderr_open; ++i) {  // what it wrote last (the group is gone)
    pollfd fd{err[0], POLLIN, 0};
    if (poll(&fd, 1, kPollMs) <= 0) break;
    stderr_open = ReadInto(err[0], &tail);
  }
  close(err[0]);
  run.cpu_ns = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * int64_t{1'000'000'000} +
               (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * int64_t{1000};
  const bool searched = argv[0].find('/') == std::string::npos;
  if (exec_failed && searched && exec_error == ENOENT) {
    run.error = absl::StrCat(argv[0], ": not found in PATH");
  } else if (exec_failed) {
    run.error = absl::StrCat("cannot run ", argv[0], options.run_as ? " as " + options.run_as->name : "",
                             ": ", strerror(exec_error));
  } else if (stopped_at != 0) {
    run.outcome = CommandRun::Outcome::kCancelled;
  } else if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    run.outcome = CommandRun::Outcome::kOk;
  } else {
    run.error = Describe(argv[0], wait_status, tail);
  }
  return run;
}

}  // namespace tminus
