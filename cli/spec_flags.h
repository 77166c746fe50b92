// --n with --chunks or --chunk-size, as `submit` and `scale` take them.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/job_spec.h"

namespace tminus {

// Parses the three flags into spec->n and its chunking. INVALID_ARGUMENT
// naming the flag for an unparsable count or for not exactly one of
// --chunks and --chunk-size.
absl::Status ParseSizeFlags(const std::string& n, const std::string& chunks,
                            const std::string& chunk_size, JobSpec* spec);

// --on KEY=VALUE[,...] and --workers NAME[,...] into spec->selector and
// spec->workers (empty text: none). INVALID_ARGUMENT naming the flag.
absl::Status ParsePlacementFlags(const std::string& on, const std::string& workers,
                                 JobSpec* spec);

}  // namespace tminus
