#include "worker/credit_policy.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

TEST(CreditPolicyTest, StartsWithTwoPerSlot) {
  CreditPolicy policy(4, -1);
  EXPECT_EQ(policy.Desired(), 8);
}

TEST(CreditPolicyTest, FixedPrefetchIgnoresDurations) {
  CreditPolicy policy(2, 3);
  EXPECT_EQ(policy.Desired(), 5);
  policy.Observe(64, 64 * 100);
  EXPECT_EQ(policy.Desired(), 5);
}

TEST(CreditPolicyTest, TinyChunksGrowThePrefetchUpToTheCap) {
  CreditPolicy policy(2, -1);
  policy.Observe(4, 4 * 100);  // 100 ns chunks
  EXPECT_EQ(policy.Desired(), 2 + 2 * CreditPolicy::kMaxPrefetchPerSlot);
}

TEST(CreditPolicyTest, LongChunksKeepOneQueuedPerSlot) {
  CreditPolicy policy(2, -1);
  policy.Observe(2, 2 * 1'000'000'000LL);  // 1 s chunks
  EXPECT_EQ(policy.Desired(), 4);
}

TEST(CreditPolicyTest, TheDesireFollowsChunksThatGrowLonger) {
  CreditPolicy policy(1, -1);
  for (int i = 0; i < 200; ++i) policy.Observe(1, 1'000'000);  // 1 ms: 10 queued
  EXPECT_EQ(policy.Desired(), 11);
  for (int i = 0; i < 400; ++i) policy.Observe(1, 1'000'000'000);  // now 1 s each
  EXPECT_EQ(policy.Desired(), 2);
}

}  // namespace
}  // namespace tminus
