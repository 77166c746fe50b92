#include "tests/testing/files.h"

#include "common/files.h"

namespace tminus::testing {

std::string ReadFile(const std::string& path) { return ReadWholeFile(path).value_or(""); }

}  // namespace tminus::testing
