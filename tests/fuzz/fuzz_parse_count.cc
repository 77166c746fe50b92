// Fuzzes the parser of counts people type (--n 4e9, 40G, ...).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/parse_count.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)tminus::ParseCount(text, "--n");
  return 0;
}
