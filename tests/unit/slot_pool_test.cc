// The slot pool with real runner threads (threads executor only): what a
// session's end, a stop and a second lease of a running chunk do.
#include "worker/slot_pool.h"

#include <gtest/gtest.h>

#include "common/mutex.h"

namespace tminus {
namespace {

struct Seen {
  uint64_t epoch;
  RunResult result;
};

class SlotPoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<SlotPool> Pool(int slots) {
    PoolOptions options;
    options.slots = slots;
    options.processes = false;
    return std::make_unique<SlotPool>(options, [this](uint64_t epoch, const RunResult& result) {
      MutexLock lock(&mu_);
      seen_.push_back({epoch, result});
    });
  }
  // Waits for `count` results (the kernel runs for real: a second at most).
  std::vector<Seen> Await(size_t count) {
    MutexLock lock(&mu_);
    auto enough = [&] { return seen_.size() >= count; };
    mu_.AwaitWithTimeout(enough, absl::Seconds(30));
    return seen_;
  }

  Mutex mu_;
  std::vector<Seen> seen_;
};

LeaseSpec Lease(int64_t chunk, int32_t attempt, int64_t count) {
  return LeaseSpec{1, chunk, attempt, count, ExecutorKind::kThreads, 0};
}

TEST_F(SlotPoolTest, TheEndOfASessionHandsBackItsQueuedLeasesAndLetsRunningOnesFinish) {
  auto pool = Pool(1);
  pool->Submit(1, {Lease(0, 1, 400'000'000)});
  for (int i = 0; i < 10'000 && pool->running() == 0; ++i) absl::SleepFor(absl::Milliseconds(1));
  pool->Submit(1, {Lease(1, 1, 100)});
  pool->DropQueuedBefore(2);
  const std::vector<Seen> seen = Await(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].result.chunk, 1);  // handed back at once, unrun
  EXPECT_EQ(seen[0].result.outcome, RunOutcome::kCancelled);
  EXPECT_EQ(seen[1].result.chunk, 0);  // ran to the end
  EXPECT_EQ(seen[1].result.outcome, RunOutcome::kOk);
  EXPECT_EQ(seen[1].result.decrements, 400'000'000);
}

TEST_F(SlotPoolTest, ASecondLeaseOfARunningChunkWaitsForItAndGetsItsResult) {
  auto pool = Pool(2);
  pool->Submit(1, {Lease(0, 1, 400'000'000)});
  pool->Submit(2, {Lease(0, 2, 400'000'000)});  // a restarted coordinator leased it again
  const std::vector<Seen> seen = Await(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].epoch, 1u);
  EXPECT_EQ(seen[1].epoch, 2u);
  EXPECT_EQ(seen[1].result.attempt, 2);
  EXPECT_EQ(seen[1].result.outcome, RunOutcome::kOk);
  // One run, not two: the copy has the original's clock readings.
  EXPECT_EQ(seen[1].result.start_mono_ns, seen[0].result.start_mono_ns);
}

TEST_F(SlotPoolTest, StoppingAChunkStopsItsRunAndHandsBackItsFollower) {
  auto pool = Pool(2);
  pool->Submit(1, {Lease(0, 1, int64_t{1} << 40)});  // would run for minutes
  pool->Submit(2, {Lease(0, 2, int64_t{1} << 40)});
  pool->Stop(1, {0});
  const std::vector<Seen> seen = Await(2);
  ASSERT_EQ(seen.size(), 2u);
  for (const Seen& s : seen) EXPECT_EQ(s.result.outcome, RunOutcome::kCancelled);
}

}  // namespace
}  // namespace tminus
