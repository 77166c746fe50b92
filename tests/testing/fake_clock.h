// A clock tests step by hand. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/clock.h"

namespace tminus::testing {

class FakeClock final : public Clock {
 public:
  int64_t MonoNs() const override { return mono_.load(); }
  int64_t WallNs() const override { return 1'700'000'000'000'000'000 + mono_.load(); }
  void Advance(int64_t ns) { mono_ += ns; }
  void Set(int64_t ns) { mono_ = ns; }

 private:
  std::atomic<int64_t> mono_{1'000'000'000};
};

}  // namespace tminus::testing
