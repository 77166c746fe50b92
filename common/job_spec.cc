#include "common/job_spec.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/text.h"

namespace tminus {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

absl::Status ValidateChunking(const JobSpec& spec) {
  if (spec.chunk_count.has_value() == spec.chunk_size.has_value()) {
    return Invalid("chunking: set exactly one of chunk_count and chunk_size");
  }
  if (spec.chunk_count.has_value()) {
    const int64_t count = *spec.chunk_count;
    if (count < 1 || count > spec.n) {
      return Invalid(absl::StrCat("chunk_count: must be between 1 and n (", spec.n,
                                  "), got ", count));
    }
    if (count > kMaxChunkCount) {
      return Invalid(absl::StrCat("chunk_count: at most ", kMaxChunkCount,
                                  " chunks per job, got ", count));
    }
    return absl::OkStatus();
  }
  const int64_t size = *spec.chunk_size;
  if (size < 1) {
    return Invalid(absl::StrCat("chunk_size: must be at least 1, got ", size));
  }
  const int64_t chunks = ChunkCountForSize(spec.n, size);
  if (chunks > kMaxChunkCount) {
    return Invalid(absl::StrCat("chunk_size: ", size, " splits n into ", chunks,
                                " chunks; at most ", kMaxChunkCount, " chunks per job"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabels(const JobSpec& spec) {
  if (spec.labels.size() > kMaxLabels) {
    return Invalid(absl::StrCat("labels: at most ", kMaxLabels, " labels, got ",
                                spec.labels.size()));
  }
  for (const auto& [key, value] : spec.labels) {
    if (key.empty() || key.size() > kMaxLabelKeyBytes) {
      return Invalid(absl::StrCat("labels: keys must be 1 to ", kMaxLabelKeyBytes,
                                  " bytes, got ", key.size()));
    }
    if (value.size() > kMaxLabelValueBytes) {
      return Invalid(absl::StrCat("labels: value of '", key, "' is ", value.size(),
                                  " bytes; at most ", kMaxLabelValueBytes));
    }
    if (!IsPrintableUtf8(key) || !IsPrintableUtf8(value)) {
      return Invalid("labels: keys and values must be UTF-8 without control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePlacement(const JobSpec& spec) {
  if (absl::Status s = CheckLabels(spec.selector, "selector", kMaxSelectorTerms); !s.ok()) {
    return s;
  }
  if (spec.workers.size() > kMaxPlacementWorkers) {
    return Invalid(absl::StrCat("workers: at most ", kMaxPlacementWorkers, " names, got ",
                                spec.workers.size()));
  }
  for (size_t i = 0; i < spec.workers.size(); ++i) {
    if (absl::Status s = CheckVisibleAscii(spec.workers[i], "workers", 1, kMaxWorkerIdBytes);
        !s.ok()) {
      return s;
    }
    for (size_t j = 0; j < i; ++j) {
      if (spec.workers[j] == spec.workers[i]) {
        return Invalid(absl::StrCat("workers: '", spec.workers[i], "' given twice"));
      }
    }
  }
  if (spec.max_slots_per_worker < 0 || spec.max_slots_per_worker > kMaxMaxSlots) {
    return Invalid(absl::StrCat("max_slots_per_worker: must be between 0 (no cap) and ",
                                kMaxMaxSlots, ", got ", spec.max_slots_per_worker));
  }
  return absl::OkStatus();
}

}  // namespace

const char* ExecutorName(ExecutorKind kind) {
  switch (kind) {
    case ExecutorKind::kThreads: return "threads";
    case ExecutorKind::kProcesses: return "processes";
    case ExecutorKind::kUnspecified: break;
  }
  return "unspecified";
}

absl::Status ParseExecutor(const std::string& text, const char* field, ExecutorKind* out) {
  if (text == "threads") {
    *out = ExecutorKind::kThreads;
  } else if (text == "processes") {
    *out = ExecutorKind::kProcesses;
  } else {
    return Invalid(absl::StrCat(field, ": must be 'threads' or 'processes', got '", text, "'"));
  }
  return absl::OkStatus();
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  if (spec.n < 1) {
    return Invalid(absl::StrCat("n: must be between 1 and ",
                                std::numeric_limits<int64_t>::max(), ", got ", spec.n));
  }
  if (absl::Status chunking = ValidateChunking(spec); !chunking.ok()) return chunking;
  if (spec.executor != ExecutorKind::kThreads && spec.executor != ExecutorKind::kProcesses) {
    return Invalid("executor: must be threads or processes, got unspecified");
  }
  if (spec.max_slots < 0 || spec.max_slots > kMaxMaxSlots) {
    return Invalid(absl::StrCat("max_slots: must be between 0 (no cap) and ", kMaxMaxSlots,
                                ", got ", spec.max_slots));
  }
  if (spec.priority < 0 || spec.priority > kMaxPriority) {
    return Invalid(absl::StrCat("priority: must be between 0 and ", kMaxPriority, ", got ",
                                spec.priority));
  }
  if (absl::Status name = CheckPrintableUtf8(spec.name, "name", kMaxNameBytes); !name.ok()) {
    return name;
  }
  if (spec.max_attempts < 0 || spec.max_attempts > kMaxMaxAttempts) {
    return Invalid(absl::StrCat("max_attempts: must be between 0 (the coordinator's default) "
                                "and ", kMaxMaxAttempts, ", got ", spec.max_attempts));
  }
  if (spec.time_limit_ms < 0 || spec.time_limit_ms > kMaxTimeLimitMs) {
    return Invalid(absl::StrCat("time_limit: must be between 0 (none) and 366 days, got ",
                                spec.time_limit_ms, " ms"));
  }
  if (absl::Status labels = ValidateLabels(spec); !labels.ok()) return labels;
  return ValidatePlacement(spec);
}

ChunkPlan PlanOf(const JobSpec& spec) {
  return spec.chunk_count.has_value() ? ChunkPlan::ByCount(spec.n, *spec.chunk_count)
                                      : ChunkPlan::BySize(spec.n, *spec.chunk_size);
}

}  // namespace tminus
