// A child process started with posix_spawn and stopped by pid: used by
// `tminus demo` and by the tests that run the real binaries.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tminus {

// Thread-compatible. The destructor kills (SIGKILL) and reaps a child still
// running, so nothing outlives its owner.
class Subprocess {
 public:
  // INTERNAL when the program cannot be started. argv[0] without a slash is
  // looked up on PATH. `stdout_path`, when not empty, receives the child's
  // stdout, and its stderr too unless `stderr_path` is given; `stdin_path`,
  // when not empty, is its stdin.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv,
                                          const std::string& stdout_path = "",
                                          const std::string& stderr_path = "",
                                          const std::string& stdin_path = "");
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal`; false if the child is gone.
  bool Signal(int signal);
  // Waits up to `timeout` for the child to exit; its wait status if it did.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after `grace`. Returns the exit code, or 128 +
  // signal for a child killed by a signal.
  int Stop(std::chrono::milliseconds grace);

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Exit code of a wait status, or 128 + signal.
int ExitCodeOf(int wait_status);

}  // namespace tminus
