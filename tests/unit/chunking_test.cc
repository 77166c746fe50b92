#include "common/chunking.h"

#include <gtest/gtest.h>

#include <limits>

namespace tminus {
namespace {

// Every decrement index in [0, n) belongs to exactly one chunk, in order.
void ExpectTiles(const ChunkPlan& plan) {
  int64_t next = 0;
  for (int64_t i = 0; i < plan.chunk_count(); ++i) {
    const ChunkRange range = plan.Chunk(i);
    ASSERT_EQ(range.begin, next) << "chunk " << i;
    ASSERT_GE(range.count, 1) << "chunk " << i;
    next += range.count;
  }
  EXPECT_EQ(next, plan.n());
}

TEST(ChunkPlanTest, ByCountSplitsARemainderOverTheFirstChunks) {
  const ChunkPlan plan = ChunkPlan::ByCount(10, 3);
  EXPECT_EQ(plan.chunk_count(), 3);
  EXPECT_EQ(plan.Chunk(0).count, 4);
  EXPECT_EQ(plan.Chunk(1).count, 3);
  EXPECT_EQ(plan.Chunk(2).count, 3);
  ExpectTiles(plan);
}

TEST(ChunkPlanTest, ByCountEdges) {
  ExpectTiles(ChunkPlan::ByCount(1, 1));
  ExpectTiles(ChunkPlan::ByCount(7, 7));
  ExpectTiles(ChunkPlan::ByCount(1'000'003, 17));
  EXPECT_EQ(ChunkPlan::ByCount(5, 1).Chunk(0).count, 5);
}

TEST(ChunkPlanTest, BySizeLeavesTheRemainderInTheLastChunk) {
  const ChunkPlan plan = ChunkPlan::BySize(10, 4);
  EXPECT_EQ(plan.chunk_count(), 3);
  EXPECT_EQ(plan.Chunk(2).count, 2);
  ExpectTiles(plan);
}

TEST(ChunkPlanTest, BySizeLargerThanNIsOneChunk) {
  const ChunkPlan plan = ChunkPlan::BySize(10, 1'000);
  EXPECT_EQ(plan.chunk_count(), 1);
  EXPECT_EQ(plan.Chunk(0).count, 10);
}

TEST(ChunkPlanTest, HugeNDoesNotOverflow) {
  const int64_t n = std::numeric_limits<int64_t>::max();
  const ChunkPlan plan = ChunkPlan::ByCount(n, 1'000'000'000);
  const ChunkRange last = plan.Chunk(plan.chunk_count() - 1);
  EXPECT_EQ(last.begin + last.count, n);
  const ChunkPlan by_size = ChunkPlan::BySize(n, n / 3);
  EXPECT_EQ(by_size.chunk_count(), 4);
  ExpectTiles(by_size);
}

}  // namespace
}  // namespace tminus
