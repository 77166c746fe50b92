#include "cli/spec_flags.h"

#include "absl/strings/str_cat.h"
#include "common/labels.h"
#include "common/parse_count.h"
#include "common/text.h"

namespace tminus {

absl::Status ParseSizeFlags(const std::string& n, const std::string& chunks,
                            const std::string& chunk_size, JobSpec* spec) {
  absl::StatusOr<int64_t> parsed_n = ParseCount(n, "--n");
  if (!parsed_n.ok()) return parsed_n.status();
  spec->n = *parsed_n;
  if (chunks.empty() == chunk_size.empty()) {
    return absl::InvalidArgumentError("give exactly one of --chunks and --chunk-size");
  }
  if (!chunks.empty()) {
    absl::StatusOr<int64_t> count = ParseCount(chunks, "--chunks");
    if (!count.ok()) return count.status();
    spec->chunk_count = *count;
  } else {
    absl::StatusOr<int64_t> size = ParseCount(chunk_size, "--chunk-size");
    if (!size.ok()) return size.status();
    spec->chunk_size = *size;
  }
  return absl::OkStatus();
}

absl::Status ParsePlacementFlags(const std::string& on, const std::string& workers,
                                 JobSpec* spec) {
  if (!on.empty()) {
    if (absl::Status s = ParseSelector(on, "--on", &spec->selector); !s.ok()) return s;
  }
  if (workers.empty()) return absl::OkStatus();
  if (absl::Status s = ParseNameList(workers, "--workers", &spec->workers); !s.ok()) return s;
  for (const std::string& name : spec->workers) {
    if (absl::Status s = CheckVisibleAscii(name, "--workers", 1, kMaxWorkerIdBytes); !s.ok()) {
      return s;
    }
  }
  if (spec->workers.size() > kMaxPlacementWorkers) {
    return absl::InvalidArgumentError(absl::StrCat("--workers: at most ", kMaxPlacementWorkers,
                                                   " names, got ", spec->workers.size()));
  }
  return absl::OkStatus();
}

}  // namespace tminus
