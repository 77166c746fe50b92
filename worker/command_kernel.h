// The command kernel: one program per chunk, in a process group of its own,
// without a shell. Exit 0 means the chunk's units are done.
//
// The program's stdin and stdout are /dev/null; the last kStderrTailBytes of
// its stderr come back with a failure. It sees the worker's environment plus
// TMINUS_JOB, TMINUS_CHUNK, TMINUS_ATTEMPT, TMINUS_START and TMINUS_COUNT.
// When the program ends, or when the chunk is stopped (SIGTERM to the group,
// SIGKILL after the grace), whatever is left of its process group is killed:
// a chunk leaves no process behind.
//
// Threading: thread-safe; it forks from the calling thread and runs only
// async-signal-safe calls in the child before exec.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/command_line.h"

namespace tminus {

inline constexpr size_t kStderrTailBytes = 3072;

// Who the program runs as (--run-as); unset: as the worker.
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};
// The user `name` (a name or a number); INVALID_ARGUMENT naming --run-as.
absl::StatusOr<RunAs> LookUpUser(const std::string& name);

struct CommandRun {
  enum class Outcome { kOk, kFailed, kCancelled };
  Outcome outcome = Outcome::kFailed;
  int64_t start_mono_ns = 0;
  int64_t end_mono_ns = 0;
  int64_t cpu_ns = 0;  // the program's (and its waited-for children's) CPU time
  std::string error;   // "exit status 3; stderr: ..."
};

struct CommandOptions {
  std::optional<RunAs> run_as;
  std::chrono::milliseconds kill_grace{2000};
};

// Runs argv (placeholders replaced with `values`) to its end, or until `stop`.
CommandRun RunCommandChunk(const std::vector<std::string>& argv, const ChunkValues& values,
                           const std::atomic<bool>& stop, const CommandOptions& options);

}  // namespace tminus
