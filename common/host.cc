#include "common/host.h"

#include <limits.h>
#include <unistd.h>

namespace tminus {

std::string Hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

int OnlineCpus() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? static_cast<int>(cpus) : 1;
}

const char* Version() { return TMINUS_VERSION; }  // the project() version

}  // namespace tminus
