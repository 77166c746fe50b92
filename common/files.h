// Reading a whole file, written once for the daemons and the CLI.
#pragma once

#include <optional>
#include <string>

namespace tminus {

// The file's bytes; nullopt when it cannot be opened.
std::optional<std::string> ReadWholeFile(const std::string& path);

}  // namespace tminus
