// Parses counts people type: 4000000000, 4e9, 4.5e9, 40G, 1_000_000.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tminus {

// Accepts an optional sign, digits (with optional '_' separators), an optional
// fraction, and either an exponent (e/E) or one decimal suffix: k K M G T P E
// (10^3 .. 10^18). The result must be a whole number within int64.
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<int64_t> ParseCount(const std::string& text, const std::string& field);

// How many finished jobs a coordinator keeps: "COUNT", "AGE" or "COUNT,AGE"
// (AGE: 90s, 12h, 30d, 1h30m); "0" or "" keeps every job. Errors name `field`.
struct Retention {
  int64_t jobs = 0;    // 0: no count limit
  int64_t age_ns = 0;  // 0: no age limit
};
// "30d" (whole days, which absl does not read), or what absl::ParseDuration
// reads (90s, 12h, 1h30m). False for anything else.
bool ParseAge(absl::string_view text, absl::Duration* age);

absl::StatusOr<Retention> ParseRetention(const std::string& text, const std::string& field);

}  // namespace tminus
