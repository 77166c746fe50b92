// The domain form of a job's spec and the rules every request must meet.
// Shared by the coordinator (which always validates) and the CLI (which
// validates early for a friendlier error).
#pragma once

#include <cstdint>
#include <map>
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

  bool placed() const { return !selector.empty() || !workers.empty(); }
};

// OK, or INVALID_ARGUMENT whose message starts with the field name and states
// the limit and the value received.
absl::Status ValidateJobSpec(const JobSpec& spec);

// Requires ValidateJobSpec(spec).ok().
ChunkPlan PlanOf(const JobSpec& spec);

}  // namespace tminus
