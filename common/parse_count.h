// Parses counts people type: 4000000000, 4e9, 4.5e9, 40G, 1_000_000.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace tminus {

// Accepts an optional sign, digits (with optional '_' separators), an optional
// fraction, and either an exponent (e/E) or one decimal suffix: k K M G T P E
// (10^3 .. 10^18). The result must be a whole number within int64.
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<int64_t> ParseCount(const std::string& text, const std::string& field);

}  // namespace tminus
