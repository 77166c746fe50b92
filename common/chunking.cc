#include "common/chunking.h"

#include <algorithm>

namespace tminus {

ChunkPlan ChunkPlan::ByCount(int64_t n, int64_t chunks) {
  return ChunkPlan(n, chunks, n / chunks, n % chunks, /*by_size=*/false);
}

ChunkPlan ChunkPlan::BySize(int64_t n, int64_t size) {
  return ChunkPlan(n, ChunkCountForSize(n, size), size, 0, /*by_size=*/true);
}

ChunkRange ChunkPlan::Chunk(int64_t index) const {
  if (by_size_) {
    const int64_t begin = index * base_;
    return {begin, std::min(base_, n_ - begin)};
  }
  const int64_t begin = index * base_ + std::min(index, remainder_);
  return {begin, base_ + (index < remainder_ ? 1 : 0)};
}

int64_t ChunkCountForSize(int64_t n, int64_t size) {
  return n / size + (n % size != 0 ? 1 : 0);
}

}  // namespace tminus
