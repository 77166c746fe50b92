// Facts about this process and its machine.
#pragma once

#include <string>

namespace tminus {

std::string Hostname();
int OnlineCpus();
const char* Version();

}  // namespace tminus
