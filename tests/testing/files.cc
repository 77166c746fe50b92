#include "tests/testing/files.h"

#include <fstream>
#include <sstream>

namespace tminus::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace tminus::testing
