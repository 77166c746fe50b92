#include "common/job_spec.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "common/status_macros.h"
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
  RETURN_IF_ERROR(CheckLabels(spec.selector, "selector", kMaxSelectorTerms));
  if (spec.workers.size() > kMaxPlacementWorkers) {
    return Invalid(absl::StrCat("workers: at most ", kMaxPlacementWorkers, " names, got ",
                                spec.workers.size()));
  }
  for (size_t i = 0; i < spec.workers.size(); ++i) {
    RETURN_IF_ERROR(CheckVisibleAscii(spec.workers[i], "workers", 1, kMaxWorkerIdBytes));
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

bool IsPythonIdentifier(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_';
    if (!word) return false;
  }
  return true;
}

absl::Status ValidatePython(const KernelSpec& kernel, bool source_dropped) {
  const bool dropped = source_dropped && kernel.source.empty();
  if ((kernel.source.empty() && !dropped) || kernel.source.size() > kMaxPythonSourceBytes) {
    return Invalid(absl::StrCat("kernel.python.source: must be 1 to ", kMaxPythonSourceBytes,
                                " bytes (256 KiB), got ", kernel.source.size()));
  }
  if (!IsUtf8(kernel.source) || kernel.source.find('\0') != std::string::npos) {
    return Invalid("kernel.python.source: must be UTF-8 text with no NUL byte");
  }
  if (kernel.function.size() > kMaxPythonFunctionBytes || !IsPythonIdentifier(kernel.function)) {
    return Invalid(absl::StrCat("kernel.python.function: must be a Python name of 1 to ",
                                kMaxPythonFunctionBytes, " ASCII letters, digits or _, got '",
                                EscapeForLog(kernel.function), "'"));
  }
  return CheckPrintableUtf8(kernel.file_name, "kernel.python.file_name",
                            kMaxPythonFileNameBytes);
}

absl::Status ValidateCommand(const JobSpec& spec) {
  const std::vector<std::string>& argv = spec.kernel->argv;
  if (spec.executor != ExecutorKind::kProcesses) {
    return Invalid("kernel.command: runs on the processes executor only, got executor threads");
  }
  if (argv.empty() || argv.size() > kMaxCommandArgs) {
    return Invalid(absl::StrCat("kernel.command.argv: must hold 1 to ", kMaxCommandArgs,
                                " arguments, got ", argv.size()));
  }
  if (argv[0].empty()) return Invalid("kernel.command.argv: the program (argument 0) is empty");
  size_t total = 0;
  for (const std::string& arg : argv) total += arg.size();
  if (total > kMaxCommandBytes) {
    return Invalid(absl::StrCat("kernel.command.argv: at most ", kMaxCommandBytes,
                                " bytes in all (64 KiB), got ", total));
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].size() > kMaxCommandArgBytes || argv[i].find('\0') != std::string::npos ||
        !IsUtf8(argv[i])) {
      return Invalid(absl::StrCat("kernel.command.argv: argument ", i, " must be UTF-8 of at most ",
                                  kMaxCommandArgBytes, " bytes with no NUL, got ", argv[i].size(),
                                  " bytes"));
    }
  }
  return CheckCommandTemplate(argv, "kernel.command.argv");
}

absl::Status ValidateKernel(const JobSpec& spec, bool source_dropped) {
  switch (spec.kernel_kind()) {
    case KernelKind::kCountdown: return absl::OkStatus();
    case KernelKind::kPython: return ValidatePython(*spec.kernel, source_dropped);
    case KernelKind::kCommand: return ValidateCommand(spec);
  }
  return Invalid("kernel: unknown kind");
}

}  // namespace

const char* KernelName(KernelKind kind) {
  switch (kind) {
    case KernelKind::kCountdown: return "countdown";
    case KernelKind::kPython: return "python";
    case KernelKind::kCommand: return "command";
  }
  return "unknown";
}

absl::Status ParseKernel(const std::string& text, const char* field, KernelKind* out) {
  for (KernelKind kind : {KernelKind::kCountdown, KernelKind::kPython, KernelKind::kCommand}) {
    if (text == KernelName(kind)) {
      *out = kind;
      return absl::OkStatus();
    }
  }
  return Invalid(absl::StrCat(field, ": must be countdown, python or command, got '",
                              EscapeForLog(text), "'"));
}

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

absl::Status ValidateJobSpec(const JobSpec& spec, bool source_dropped) {
  if (spec.n < 1) {
    return Invalid(absl::StrCat("n: must be between 1 and ",
                                std::numeric_limits<int64_t>::max(), ", got ", spec.n));
  }
  RETURN_IF_ERROR(ValidateChunking(spec));
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
  RETURN_IF_ERROR(CheckPrintableUtf8(spec.name, "name", kMaxNameBytes));
  if (spec.max_attempts < 0 || spec.max_attempts > kMaxMaxAttempts) {
    return Invalid(absl::StrCat("max_attempts: must be between 0 (the coordinator's default) "
                                "and ", kMaxMaxAttempts, ", got ", spec.max_attempts));
  }
  if (spec.time_limit_ms < 0 || spec.time_limit_ms > kMaxTimeLimitMs) {
    return Invalid(absl::StrCat("time_limit: must be between 0 (none) and 366 days, got ",
                                spec.time_limit_ms, " ms"));
  }
  RETURN_IF_ERROR(ValidateLabels(spec));
  RETURN_IF_ERROR(ValidateKernel(spec, source_dropped));
  return ValidatePlacement(spec);
}

JobSpec WithoutPythonSource(const JobSpec& spec) {
  JobSpec out = spec;
  if (spec.kernel == nullptr || spec.kernel->source.empty()) return out;
  auto kept = std::make_shared<KernelSpec>();
  kept->kind = spec.kernel->kind;
  kept->function = spec.kernel->function;
  kept->file_name = spec.kernel->file_name;
  kept->argv = spec.kernel->argv;
  out.kernel = std::move(kept);
  return out;
}

ChunkPlan PlanOf(const JobSpec& spec) {
  return spec.chunk_count.has_value() ? ChunkPlan::ByCount(spec.n, *spec.chunk_count)
                                      : ChunkPlan::BySize(spec.n, *spec.chunk_size);
}

}  // namespace tminus
