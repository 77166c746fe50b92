// Time sources. Logic under test takes a Clock so tests can step time.
#pragma once

#include <cstdint>

namespace tminus {

// Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds, for durations.
  virtual int64_t MonoNs() const = 0;
  // Nanoseconds since the Unix epoch, for timestamps people read.
  virtual int64_t WallNs() const = 0;
};

class RealClock final : public Clock {
 public:
  int64_t MonoNs() const override;
  int64_t WallNs() const override;
  static const RealClock* Get();
};

// CLOCK_THREAD_CPUTIME_ID of the calling thread.
int64_t ThreadCpuNs();

}  // namespace tminus
