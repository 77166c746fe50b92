#include "common/kernel.h"

#include <gtest/gtest.h>

#include <thread>

namespace tminus {
namespace {

TEST(CountdownTest, DoesExactlyCountDecrements) {
  for (uint64_t count : {uint64_t{0}, uint64_t{1}, uint64_t{7}, kCancelPollInterval - 1,
                         kCancelPollInterval, kCancelPollInterval + 1, uint64_t{5'000'003}}) {
    EXPECT_EQ(Countdown(count, nullptr), count) << count;
  }
}

TEST(CountdownTest, WithUnsetCancelFlagRunsToTheEnd) {
  std::atomic<bool> cancel{false};
  EXPECT_EQ(Countdown(3 * kCancelPollInterval + 5, &cancel), 3 * kCancelPollInterval + 5);
}

TEST(CountdownTest, CancelledBeforeStartDoesNothing) {
  std::atomic<bool> cancel{true};
  EXPECT_EQ(Countdown(1'000'000, &cancel), 0u);
}

TEST(CountdownTest, CancelStopsAHugeCountEarlyAtABlockBoundary) {
  std::atomic<bool> cancel{false};
  uint64_t done = 0;
  std::thread runner([&] { done = Countdown(uint64_t{1} << 62, &cancel); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // on purpose: cancel mid-count
  cancel = true;
  runner.join();
  EXPECT_LT(done, uint64_t{1} << 62);
  EXPECT_EQ(done % kCancelPollInterval, 0u);
}

}  // namespace
}  // namespace tminus
