// The countdown kernel: the unit of work every chunk runs.
#pragma once

#include <atomic>
#include <cstdint>

namespace tminus {

// How many decrements run between two looks at the cancel flag (~2^20, well
// under a millisecond at one decrement per cycle).
inline constexpr uint64_t kCancelPollInterval = uint64_t{1} << 20;

// Runs `while (n > 0) --n;` with n = count, exactly, and returns how many
// decrements it did: `count`, or fewer when `cancel` became true first.
// `cancel` may be null. Thread-safe (no shared state besides `cancel`).
uint64_t Countdown(uint64_t count, const std::atomic<bool>* cancel);

}  // namespace tminus
