// --n with --chunks or --chunk-size, as `submit` and `scale` take them.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/job_spec.h"

namespace tminus {

// Parses the three flags into spec->n and its chunking. INVALID_ARGUMENT
// naming the flag for an unparsable count, n < 1, or both --chunks and
// --chunk-size. With neither, the spec has no chunking yet (the caller picks
// the default: cli/default_chunks.h).
absl::Status ParseSizeFlags(const std::string& n, const std::string& chunks,
                            const std::string& chunk_size, JobSpec* spec);

// --on KEY=VALUE[,...] and --workers NAME[,...] into spec->selector and
// spec->workers (empty text: none). INVALID_ARGUMENT naming the flag.
absl::Status ParsePlacementFlags(const std::string& on, const std::string& workers,
                                 JobSpec* spec);

// "90s", "10m", "1h30m" or plain seconds ("45") into milliseconds; "" is 0
// (none). INVALID_ARGUMENT naming `flag` (--time-limit, --since) otherwise.
absl::Status ParseDurationFlag(const std::string& text, const char* flag, int64_t* ms);

// ValidateJobSpec, in flag names, for a spec that may have no chunking yet.
absl::Status ValidateFlagsSpec(JobSpec spec);

// The same status with a leading proto field name ("chunk_count: ...", as
// ValidateJobSpec and the coordinator word it) replaced by the flag a user
// typed ("--chunks: ...").
absl::Status WithFlagNames(const absl::Status& status);

}  // namespace tminus
