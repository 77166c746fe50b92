// Small file helpers for tests.
#pragma once

#include <string>

namespace tminus::testing {

// The whole file as it is now; "" when it cannot be read (not there yet, say).
std::string ReadFile(const std::string& path);

}  // namespace tminus::testing
