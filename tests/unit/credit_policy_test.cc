#include "worker/credit_policy.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

TEST(CreditPolicyTest, StartsWithTwoPerSlot) {
  CreditPolicy policy(4, -1);
  EXPECT_EQ(policy.Start(), 8);
  EXPECT_EQ(policy.outstanding(), 8);
}

TEST(CreditPolicyTest, FixedPrefetchReturnsOneCreditPerResult) {
  CreditPolicy policy(2, 3);
  EXPECT_EQ(policy.Start(), 5);
  EXPECT_EQ(policy.OnResults(2, 1'000), 2);
  EXPECT_EQ(policy.outstanding(), 5);
}

TEST(CreditPolicyTest, TinyChunksGrowThePrefetchUpToTheCap) {
  CreditPolicy policy(2, -1);
  policy.Start();
  const int64_t grant = policy.OnResults(4, 4 * 100);  // 100 ns chunks
  EXPECT_EQ(policy.outstanding(), 2 + 2 * CreditPolicy::kMaxPrefetchPerSlot);
  EXPECT_EQ(grant, policy.outstanding());  // all four came back
}

TEST(CreditPolicyTest, LongChunksKeepOneQueuedPerSlot) {
  CreditPolicy policy(2, -1);
  policy.Start();
  EXPECT_EQ(policy.OnResults(2, 2 * 1'000'000'000), 2);  // 1 s chunks
  EXPECT_EQ(policy.Desired(), 4);
}

TEST(CreditPolicyTest, ShrinkingDesireGrantsNothingUntilOutstandingDrops) {
  CreditPolicy policy(1, -1);
  policy.Start();
  policy.OnResults(2, 2 * 1'000);  // 1 us chunks: desire 1 + 4096 (capped)
  const int64_t high = policy.outstanding();
  for (int i = 0; i < 200; ++i) policy.OnResults(64, 64 * 1'000'000'000LL);  // chunks got long
  EXPECT_EQ(policy.Desired(), 2);
  EXPECT_LT(policy.outstanding(), high);
  EXPECT_GE(policy.outstanding(), 0);
}

}  // namespace
}  // namespace tminus
