// Text from the outside (names, hosts, tokens) checked at the edge, and
// escaped before it reaches a terminal.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tminus {

// Visible ASCII only (0x21..0x7e): worker names, hosts, versions, tokens.
bool IsVisibleAscii(absl::string_view text);
// Valid UTF-8 with no control characters (C0, DEL, C1): job names, labels.
bool IsPrintableUtf8(absl::string_view text);

// Valid UTF-8, control characters allowed (a Python source).
bool IsUtf8(absl::string_view text);
// The last `max_bytes` bytes of `text` (what a program wrote last), each byte
// that is not part of valid UTF-8 there made '?': fit for a string field.
std::string Utf8Tail(absl::string_view text, size_t max_bytes);

// OK, or INVALID_ARGUMENT "FIELD: ..." naming the limit and what is wrong.
absl::Status CheckVisibleAscii(absl::string_view text, absl::string_view field, size_t min_bytes,
                               size_t max_bytes);
absl::Status CheckPrintableUtf8(absl::string_view text, absl::string_view field,
                                size_t max_bytes);

// Control characters and bytes that are not UTF-8 become \xNN, and the
// marks that reorder text (U+202E and kin) \uNNNN, so a name can never move
// the cursor, recolour a terminal or read backwards.
std::string EscapeForTerminal(absl::string_view text);

// What a log line, a terminal or a status message may carry of a string from
// the outside: escaped as above, and at most `max_bytes` of it (then
// "...(N bytes)"), so no peer can split a line, forge one or make it huge.
inline constexpr size_t kLogFieldBytes = 256;
std::string EscapeForLog(absl::string_view text, size_t max_bytes = kLogFieldBytes);

}  // namespace tminus
