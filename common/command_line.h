// The command kernel's command line: split once into argv (no shell), its
// placeholders checked at submit and replaced per chunk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tminus {

// Splits like a POSIX shell would, without running one: blanks separate
// words; '...' is literal; "..." is literal but for \" \\ \$ and \`; a
// backslash outside quotes takes the next character as it is. Nothing is
// expanded ($, *, ~ stay as they are). INVALID_ARGUMENT naming `field` for an
// unterminated quote or an empty line.
absl::StatusOr<std::vector<std::string>> SplitCommandLine(absl::string_view line,
                                                          absl::string_view field);

// The values a chunk's command line gets.
struct ChunkValues {
  int64_t start = 0;
  int64_t count = 0;
  int64_t chunk = 0;
  uint64_t job = 0;
  int32_t attempt = 0;
};

// OK when every {name} in argv is one of {start} {count} {chunk} {job}
// {attempt}, and every other brace is doubled ({{ or }}); else
// INVALID_ARGUMENT naming `field`, the argument and the placeholder.
absl::Status CheckCommandTemplate(const std::vector<std::string>& argv, absl::string_view field);

// argv with the placeholders replaced. Requires CheckCommandTemplate(argv).ok().
std::vector<std::string> ExpandCommand(const std::vector<std::string>& argv,
                                       const ChunkValues& values);

}  // namespace tminus
