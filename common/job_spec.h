// The domain form of a job's spec and the rules every request must meet.
// Shared by the coordinator (which always validates) and the CLI (which
// validates early for a friendlier error).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/chunking.h"
#include "common/labels.h"

namespace tminus {

enum class ExecutorKind { kUnspecified = 0, kThreads = 1, kProcesses = 2 };

const char* ExecutorName(ExecutorKind kind);  // "threads", "processes", "unspecified"
// "threads" or "processes"; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ParseExecutor(const std::string& text, const char* field, ExecutorKind* out);

// What a chunk runs (docs/kernels.md). The countdown is built in; the others
// run code the client sent.
enum class KernelKind { kCountdown = 0, kPython = 1, kCommand = 2 };
const char* KernelName(KernelKind kind);  // "countdown", "python", "command"
// One of those names; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ParseKernel(const std::string& text, const char* field, KernelKind* out);

// A set of kernels, one bit each (what a worker allows).
using KernelSet = uint32_t;
constexpr KernelSet KernelBit(KernelKind kind) { return KernelSet{1} << static_cast<int>(kind); }

struct KernelSpec {
  KernelKind kind = KernelKind::kCountdown;
  // python: f(start, count) -> count, the function `function` of `source`.
  std::string source;
  std::string function;
  std::string file_name;  // for tracebacks
  // command: the program and its arguments, placeholders not yet replaced.
  std::vector<std::string> argv;
};

// Documented limits (docs/api.md).
inline constexpr int64_t kMaxChunkCount = 1'000'000'000;
inline constexpr int32_t kMaxPriority = 1000;
inline constexpr int32_t kMaxMaxSlots = 1'000'000;
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxLabels = 32;
inline constexpr size_t kMaxLabelKeyBytes = 63;
inline constexpr size_t kMaxLabelValueBytes = 256;
inline constexpr size_t kMaxWorkerIdBytes = 128;
inline constexpr int32_t kMaxMaxAttempts = 100;
inline constexpr int64_t kMaxTimeLimitMs = int64_t{366} * 24 * 3600 * 1000;
inline constexpr size_t kMaxPythonSourceBytes = 256 * 1024;
inline constexpr size_t kMaxPythonFunctionBytes = 128;
inline constexpr size_t kMaxPythonFileNameBytes = 255;
inline constexpr size_t kMaxCommandArgs = 256;
inline constexpr size_t kMaxCommandArgBytes = 4096;
inline constexpr size_t kMaxCommandBytes = 64 * 1024;  // all arguments together

struct JobSpec {
  int64_t n = 0;
  // Exactly one of these is set.
  std::optional<int64_t> chunk_count;
  std::optional<int64_t> chunk_size;
  ExecutorKind executor = ExecutorKind::kUnspecified;
  int32_t max_slots = 0;  // 0: no cap
  int32_t priority = 0;
  std::string name;
  std::map<std::string, std::string> labels;
  // Placement: workers whose labels match every term, and (when not empty)
  // only the named workers; at most this many leases on one worker.
  Labels selector;
  std::vector<std::string> workers;
  int32_t max_slots_per_worker = 0;  // 0: no cap
  int32_t max_attempts = 0;          // per chunk; 0: the coordinator's default
  int64_t time_limit_ms = 0;         // wall time from the first lease; 0: none
  // Null: the countdown. Shared, so that copies of a spec never copy a
  // source of up to 256 KiB.
  std::shared_ptr<const KernelSpec> kernel;

  bool placed() const { return !selector.empty() || !workers.empty(); }
  KernelKind kernel_kind() const { return kernel ? kernel->kind : KernelKind::kCountdown; }
};

// OK, or INVALID_ARGUMENT whose message starts with the field name and states
// the limit and the value received.
// `source_dropped`: a finished job's python kernel may have no source (it
// is not kept: WithoutPythonSource).
absl::Status ValidateJobSpec(const JobSpec& spec, bool source_dropped = false);

// Requires ValidateJobSpec(spec).ok().
ChunkPlan PlanOf(const JobSpec& spec);

// The spec with its python kernel's source left out (everything else kept,
// the source never copied): what readers of a job see, what a finished job
// keeps, and what a job's record in the state file holds.
JobSpec WithoutPythonSource(const JobSpec& spec);

}  // namespace tminus
