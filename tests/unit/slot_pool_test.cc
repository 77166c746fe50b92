// The slot pool with real runner threads (threads executor only): what a
// session's end, a stop and a second lease of a running chunk do.
#include "worker/slot_pool.h"

#include <gtest/gtest.h>

#include "common/mutex.h"
#include "tests/testing/wait.h"

#include <algorithm>

namespace tminus {
namespace {

using Seen = Finished;
using ::tminus::testing::WaitFor;

class SlotPoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<SlotPool> Pool(int slots) {
    PoolOptions options;
    options.slots = slots;
    options.processes = false;
    return std::make_unique<SlotPool>(options, [this](const std::vector<Finished>& finished) {
      MutexLock lock(&mu_);
      seen_.insert(seen_.end(), finished.begin(), finished.end());
      largest_call_ = std::max(largest_call_, finished.size());
    });
  }
  // Waits for `count` results (the kernel runs for real: a second at most).
  std::vector<Seen> Await(size_t count) {
    MutexLock lock(&mu_);
    auto enough = [&] { return seen_.size() >= count; };
    mu_.AwaitWithTimeout(enough, absl::Seconds(30));
    return seen_;
  }

  size_t largest_call() {
    MutexLock lock(&mu_);
    return largest_call_;
  }

  Mutex mu_;
  std::vector<Seen> seen_;
  size_t largest_call_ = 0;
};

LeaseSpec Lease(int64_t chunk, int32_t attempt, int64_t count) {
  return LeaseSpec{1, chunk, attempt, count, ExecutorKind::kThreads, 0};
}

TEST_F(SlotPoolTest, TheEndOfASessionHandsBackItsQueuedLeasesAndLetsRunningOnesFinish) {
  auto pool = Pool(1);
  pool->Submit(1, {Lease(0, 1, 400'000'000)});
  ASSERT_TRUE(WaitFor([&] { return pool->running() > 0; }, std::chrono::seconds(10),
                      "a chunk to run", std::chrono::milliseconds(1)));
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

std::vector<LeaseSpec> Tiny(int64_t first, int64_t count) {
  std::vector<LeaseSpec> leases;
  for (int64_t chunk = first; chunk < first + count; ++chunk) leases.push_back(Lease(chunk, 1, 1));
  return leases;
}

TEST_F(SlotPoolTest, ShortChunksRunInBatchesAndEachLeaseEndsInOneResult) {
  auto pool = Pool(2);
  pool->Submit(1, Tiny(0, 5'000));
  const std::vector<Seen> seen = Await(5'000);
  ASSERT_EQ(seen.size(), 5'000u);
  std::vector<int> results(5'000, 0);
  for (const Seen& s : seen) {
    ++results[static_cast<size_t>(s.result.chunk)];
    EXPECT_EQ(s.result.outcome, RunOutcome::kOk);
    EXPECT_EQ(s.result.decrements, 1);
  }
  EXPECT_EQ(std::count(results.begin(), results.end(), 1), 5'000);
  EXPECT_GT(largest_call(), 1u);  // results of a batch come in one call
  EXPECT_LE(largest_call(), SlotPool::kMaxBatch);
}

TEST_F(SlotPoolTest, LeasesTakenIntoABatchButNotStartedAreHandedBackUnrun) {
  auto pool = Pool(1);
  pool->Submit(1, Tiny(0, 200));  // the pool learns that chunks are short
  Await(200);
  // One batch: a tiny chunk, a long one, then ten tiny ones behind it.
  std::vector<LeaseSpec> batch = Tiny(200, 1);
  batch.push_back(Lease(201, 1, 400'000'000));
  for (const LeaseSpec& lease : Tiny(202, 10)) batch.push_back(lease);
  pool->Submit(1, batch);
  ASSERT_TRUE(WaitFor([&] { return pool->running() > 0; }, std::chrono::seconds(10),
                      "a chunk to run", std::chrono::milliseconds(1)));
  // On purpose, a fixed time: the tiny chunk ends and the long one runs, the
  // ten waiting in its batch (nothing seen from here says the long one began).
  absl::SleepFor(absl::Milliseconds(20));
  pool->HandBackQueued();
  const std::vector<Seen> seen = Await(212);
  ASSERT_EQ(seen.size(), 212u);
  int handed_back = 0;
  for (size_t i = 200; i < seen.size(); ++i) {
    const RunResult& r = seen[i].result;
    if (r.chunk == 201) {
      EXPECT_EQ(r.outcome, RunOutcome::kOk);
      EXPECT_EQ(r.decrements, 400'000'000);
    } else if (r.chunk > 201) {
      EXPECT_EQ(r.outcome, RunOutcome::kCancelled) << r.chunk;
      EXPECT_EQ(r.decrements, 0);
      ++handed_back;
    }
  }
  EXPECT_EQ(handed_back, 10);
}

TEST_F(SlotPoolTest, AJobCappedAtOneRunningChunkNeverRunsTwoAtOnce) {
  auto pool = Pool(2);
  std::vector<LeaseSpec> leases;
  for (int64_t chunk = 0; chunk < 6; ++chunk) {
    LeaseSpec lease = Lease(chunk, 1, 20'000'000);
    lease.max_running = 1;
    leases.push_back(lease);
  }
  pool->Submit(1, leases);
  std::vector<Seen> seen = Await(6);
  ASSERT_EQ(seen.size(), 6u);
  std::sort(seen.begin(), seen.end(), [](const Seen& a, const Seen& b) {
    return a.result.start_mono_ns < b.result.start_mono_ns;
  });
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].result.start_mono_ns, seen[i - 1].result.end_mono_ns) << i;
  }
}

}  // namespace
}  // namespace tminus
