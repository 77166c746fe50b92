#include "cli/spec_flags.h"

#include "common/parse_count.h"

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

}  // namespace tminus
