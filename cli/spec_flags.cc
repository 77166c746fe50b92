#include "cli/spec_flags.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "absl/strings/str_cat.h"
#include "common/labels.h"
#include "common/parse_count.h"
#include "common/status_macros.h"
#include "common/text.h"

namespace tminus {

absl::Status ParseSizeFlags(const std::string& n, const std::string& chunks,
                            const std::string& chunk_size, JobSpec* spec) {
  absl::StatusOr<int64_t> parsed_n = ParseCount(n, "--n");
  if (!parsed_n.ok()) return parsed_n.status();
  spec->n = *parsed_n;
  if (spec->n < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--n: must be at least 1, got ", spec->n));
  }
  if (!chunks.empty() && !chunk_size.empty()) {
    return absl::InvalidArgumentError("give at most one of --chunks and --chunk-size");
  }
  if (!chunks.empty()) {
    absl::StatusOr<int64_t> count = ParseCount(chunks, "--chunks");
    if (!count.ok()) return count.status();
    spec->chunk_count = *count;
  } else if (!chunk_size.empty()) {
    absl::StatusOr<int64_t> size = ParseCount(chunk_size, "--chunk-size");
    if (!size.ok()) return size.status();
    spec->chunk_size = *size;
  }
  return absl::OkStatus();
}

absl::Status ParsePlacementFlags(const std::string& on, const std::string& workers,
                                 JobSpec* spec) {
  if (!on.empty()) {
    RETURN_IF_ERROR(ParseSelector(on, "--on", &spec->selector));
  }
  if (workers.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(ParseNameList(workers, "--workers", &spec->workers));
  for (const std::string& name : spec->workers) {
    RETURN_IF_ERROR(CheckVisibleAscii(name, "--workers", 1, kMaxWorkerIdBytes));
  }
  if (spec->workers.size() > kMaxPlacementWorkers) {
    return absl::InvalidArgumentError(absl::StrCat("--workers: at most ", kMaxPlacementWorkers,
                                                   " names, got ", spec->workers.size()));
  }
  return absl::OkStatus();
}

}  // namespace tminus

namespace tminus {

absl::Status ParseDurationFlag(const std::string& text, const char* flag, int64_t* ms) {
  *ms = 0;
  if (text.empty()) return absl::OkStatus();
  absl::Duration duration;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) {
    duration = absl::Seconds(seconds);
  } else if (!ParseAge(text, &duration) || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", text, "' is not a duration (examples: 90s, 10m, 1h30m, 7d, 45)"));
  }
  if (duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": must be positive, got '", text, "'"));
  }
  *ms = std::max<int64_t>(absl::ToInt64Milliseconds(duration), 1);
  // Past the longest time limit: kept just past it (a time limit is then
  // refused by its check), not wrapped.
  if (duration > absl::Milliseconds(kMaxTimeLimitMs)) *ms = kMaxTimeLimitMs + 1;
  return absl::OkStatus();
}

absl::Status ValidateFlagsSpec(JobSpec spec) {
  if (!spec.chunk_count && !spec.chunk_size) spec.chunk_count = 1;  // checked once picked
  return WithFlagNames(ValidateJobSpec(spec));
}

absl::Status WithFlagNames(const absl::Status& status) {
  // Longest first: "max_slots_per_worker" before "max_slots".
  static constexpr std::pair<const char*, const char*> kFlagOfField[] = {
      {"kernel.python.source", "--python"},
      {"kernel.python.function", "--python (its FUNCTION)"},
      {"kernel.python.file_name", "--python (its FILE)"},
      {"kernel.command.argv", "--command"},
      {"kernel.command", "--command"},
      {"kernel", "--python/--command"},
      {"max_slots_per_worker", "--max-slots-per-worker"},
      {"max_slots", "--max-slots"},
      {"chunk_count", "--chunks"},
      {"chunk_size", "--chunk-size"},
      {"chunking", "--chunks/--chunk-size"},
      {"max_attempts", "--max-attempts"},
      {"time_limit", "--time-limit"},
      {"priority", "--priority"},
      {"selector", "--on"},
      {"workers", "--workers"},
      {"executor", "--executor"},
      {"name", "--name"},
      {"n", "--n"},
  };
  std::string message(status.message());
  for (const auto& [field, flag] : kFlagOfField) {
    const std::string prefix = absl::StrCat(field, ":");
    if (absl::StartsWith(message, prefix)) {
      message = absl::StrCat(flag, message.substr(std::string(field).size()));
      return absl::Status(status.code(), message);
    }
    // The coordinator's errors read "spec.chunk_count: ...".
    const std::string nested = absl::StrCat("spec.", prefix);
    if (absl::StartsWith(message, nested)) {
      message = absl::StrCat(flag, message.substr(nested.size() - 1));
      return absl::Status(status.code(), message);
    }
  }
  return status;
}

}  // namespace tminus
