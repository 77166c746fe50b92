// The slot pool's batch policy on a fake clock: how many leases a runner
// takes at once, and when the results of a batch that runs long go.
#include "worker/batch_policy.h"

#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"

namespace tminus {
namespace {

using ::tminus::testing::FakeClock;

constexpr int64_t kUs = 1'000;
constexpr int64_t kBudget = BatchPolicy::kBatchBudgetNs;

TEST(BatchPolicyTest, AJobWithNoChunkRunHereGoesOneLeaseAtATime) {
  BatchPolicy policy;
  EXPECT_EQ(policy.Size(1, 1'000, 2), 1u);
  policy.Observe(1, 1 * kUs);
  EXPECT_EQ(policy.Size(2, 1'000, 2), 1u);  // another job's durations say nothing
}

TEST(BatchPolicyTest, ShortChunksFillTheBudgetUpToTheCap) {
  BatchPolicy policy;
  policy.Observe(1, 10 * kUs);  // 10 of them fill 100 us
  EXPECT_EQ(policy.Size(1, 1'000, 2), 10u);
  policy.Observe(2, 100);  // 1,000 would fit
  EXPECT_EQ(policy.Size(2, 1'000, 2), BatchPolicy::kMaxBatch);
  policy.Observe(3, 0);  // a run too short to measure counts as 1 ns
  EXPECT_EQ(policy.mean_chunk_ns(3), 1.0);
  EXPECT_EQ(policy.Size(3, 1'000, 2), BatchPolicy::kMaxBatch);
}

TEST(BatchPolicyTest, ChunksLongerThanTheBudgetGoOneAtATime) {
  BatchPolicy policy;
  policy.Observe(1, 5 * kBudget);
  EXPECT_EQ(policy.Size(1, 1'000, 2), 1u);
}

TEST(BatchPolicyTest, ARunnerTakesNoMoreThanItsShareOfTheQueue) {
  BatchPolicy policy;
  policy.Observe(1, 100);
  EXPECT_EQ(policy.Size(1, 40, 4), 10u);
  EXPECT_EQ(policy.Size(1, 7, 4), 1u);
  EXPECT_EQ(policy.Size(1, 0, 4), 1u);  // the lease it took was the last
}

TEST(BatchPolicyTest, TheMeanMovesAFifthOfTheWayToEachNewChunk) {
  BatchPolicy policy;
  policy.Observe(1, 10 * kUs);
  policy.Observe(1, 20 * kUs);
  EXPECT_DOUBLE_EQ(policy.mean_chunk_ns(1), 12.0 * kUs);
  EXPECT_EQ(policy.Size(1, 1'000, 2), 8u);  // 100 / 12, rounded down
}

TEST(BatchPolicyTest, AForgottenJobStartsOverAtOneLease) {
  BatchPolicy policy;
  policy.Observe(1, 100);
  policy.Forget(1);
  EXPECT_EQ(policy.mean_chunk_ns(1), 0.0);
  EXPECT_EQ(policy.Size(1, 1'000, 2), 1u);
}

TEST(ResultFlushTest, ResultsGoOnceTheBatchHasRunTwiceItsBudgetSinceItStarted) {
  FakeClock clock;
  clock.Advance(5 * kUs);
  const int64_t start = clock.MonoNs();
  ResultFlush flush(&clock);
  EXPECT_EQ(flush.held_since_ns(), start);
  clock.Advance(2 * kBudget + 1);  // the clock itself is read only at the start
  EXPECT_FALSE(flush.Due(true, start + kUs));
  EXPECT_FALSE(flush.Due(true, start + 2 * kBudget));
  EXPECT_TRUE(flush.Due(true, start + 2 * kBudget + 1));
}

TEST(ResultFlushTest, NothingHeldOrNothingRunYetSendsNothing) {
  FakeClock clock;
  ResultFlush flush(&clock);
  const int64_t late = clock.MonoNs() + 10 * kBudget;
  EXPECT_FALSE(flush.Due(false, late));
  EXPECT_FALSE(flush.Due(true, 0));  // only handed-back leases so far
}

TEST(ResultFlushTest, AfterAFlushTheBudgetCountsFromTheLastRunsEnd) {
  FakeClock clock;
  ResultFlush flush(&clock);
  const int64_t sent_at = clock.MonoNs() + 3 * kBudget;
  ASSERT_TRUE(flush.Due(true, sent_at));
  flush.Sent(sent_at);
  EXPECT_EQ(flush.held_since_ns(), sent_at);
  EXPECT_FALSE(flush.Due(true, sent_at + 2 * kBudget));
  EXPECT_TRUE(flush.Due(true, sent_at + 2 * kBudget + 1));
}

TEST(ResultFlushTest, ABatchStartedLaterIsTimedFromItsOwnStart) {
  FakeClock clock;
  const int64_t first_start = clock.MonoNs();
  clock.Advance(kBudget);
  ResultFlush flush(&clock);
  EXPECT_FALSE(flush.Due(true, first_start + 2 * kBudget + 1));
  EXPECT_TRUE(flush.Due(true, first_start + 3 * kBudget + 1));
}

}  // namespace
}  // namespace tminus
