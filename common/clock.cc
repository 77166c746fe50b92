#include "common/clock.h"

#include <time.h>

namespace tminus {
namespace {
int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

int64_t RealClock::MonoNs() const { return Read(CLOCK_MONOTONIC); }
int64_t RealClock::WallNs() const { return Read(CLOCK_REALTIME); }
const RealClock* RealClock::Get() {
  static const RealClock clock;
  return &clock;
}
int64_t ThreadCpuNs() { return Read(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace tminus
