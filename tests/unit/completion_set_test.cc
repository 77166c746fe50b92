#include "coordinator/core/completion_set.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

TEST(CompletionSetTest, InsertOnceThenDuplicate) {
  CompletionSet set;
  EXPECT_TRUE(set.Insert(5));
  EXPECT_FALSE(set.Insert(5));
  EXPECT_TRUE(set.Contains(5));
  EXPECT_FALSE(set.Contains(4));
  EXPECT_EQ(set.size(), 1);
}

TEST(CompletionSetTest, InOrderCompletionKeepsNoWindow) {
  CompletionSet set;
  for (int64_t i = 0; i < 100'000; ++i) ASSERT_TRUE(set.Insert(i));
  EXPECT_EQ(set.size(), 100'000);
  EXPECT_LE(set.window_words(), 1u);
  EXPECT_EQ(set.done_prefix(), 99'968);  // whole 64-chunk words only
  EXPECT_TRUE(set.Contains(0));
  EXPECT_FALSE(set.Insert(12));
}

TEST(CompletionSetTest, OneChunkHeldBackCostsOneBitPerChunk) {
  CompletionSet set;
  for (int64_t i = 1; i < 64'000; ++i) set.Insert(i);
  EXPECT_EQ(set.window_words(), 1'000u);
  set.Insert(0);
  EXPECT_LE(set.window_words(), 1u);
  EXPECT_EQ(set.size(), 64'000);
}

}  // namespace
}  // namespace tminus
