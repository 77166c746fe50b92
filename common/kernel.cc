#include "common/kernel.h"

#include <algorithm>

namespace tminus {

namespace {

// Exactly `k` decrements, k >= 1. On x86-64 the loop is written out so that
// it is the same two instructions in every binary (`sub $1; jnz`, macro-fused:
// one cycle per decrement) and starts on a 64-byte boundary. Left to the
// compiler, the same C loop ran at 1 or at 2 cycles per decrement depending
// on where the linker happened to place it (a jump straddling a 32-byte
// boundary is slow on many Intel cores), so the bare-kernel benchmark and the
// worker disagreed by 2x.
inline void Decrement(uint64_t k) {
#if defined(__x86_64__)
  asm volatile(
      ".p2align 6\n"
      "1:\n\t"
      "sub $1, %0\n\t"
      "jnz 1b\n"
      : "+r"(k)
      :
      : "cc");
#else
  while (k > 0) {
    --k;
    asm volatile("" : "+r"(k));  // the compiler cannot fold the loop away
  }
#endif
}

}  // namespace

uint64_t Countdown(uint64_t count, const std::atomic<bool>* cancel) {
  uint64_t done = 0;
  while (done < count) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    const uint64_t block = std::min(kCancelPollInterval, count - done);
    Decrement(block);
    done += block;
  }
  return done;
}

}  // namespace tminus
