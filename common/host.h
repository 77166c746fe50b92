// Facts about this process and its machine.
#pragma once

#include <cstddef>
#include <string>

namespace tminus {

inline constexpr size_t kMaxHostBytes = 255;  // a Hello's host (docs/api.md)

std::string Hostname();
int OnlineCpus();
const char* Version();

}  // namespace tminus
