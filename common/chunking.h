// Chunk arithmetic: chunk i of a job is derived from (n, chunking) on demand,
// so a job of 10^8 chunks never materialises 10^8 records.
#pragma once

#include <cstdint>

namespace tminus {

struct ChunkRange {
  int64_t begin = 0;  // first decrement index owned by the chunk
  int64_t count = 0;  // decrements in the chunk, >= 1
};

// A validated split of n decrements. Value type; thread-compatible.
class ChunkPlan {
 public:
  // Requires 1 <= chunks <= n.
  static ChunkPlan ByCount(int64_t n, int64_t chunks);
  // Requires n >= 1 and size >= 1. The last chunk holds the remainder.
  static ChunkPlan BySize(int64_t n, int64_t size);

  int64_t n() const { return n_; }
  int64_t chunk_count() const { return chunks_; }
  // Requires 0 <= index < chunk_count().
  ChunkRange Chunk(int64_t index) const;

 private:
  ChunkPlan(int64_t n, int64_t chunks, int64_t base, int64_t remainder, bool by_size)
      : n_(n), chunks_(chunks), base_(base), remainder_(remainder), by_size_(by_size) {}

  int64_t n_;
  int64_t chunks_;
  int64_t base_;       // size of every chunk (by size) or of the smaller ones (by count)
  int64_t remainder_;  // by count: the first `remainder_` chunks hold one more
  bool by_size_;
};

// Chunk count for a size split, without building a plan: ceil(n / size).
int64_t ChunkCountForSize(int64_t n, int64_t size);

}  // namespace tminus
