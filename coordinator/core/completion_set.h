// Which chunks of a job are done, in memory proportional to the chunks done
// out of order, not to the job: a prefix below which everything is done plus
// a bitmap window above it. Worst case (one chunk held back while all others
// finish) is one bit per chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace tminus {

// Value type; thread-compatible.
class CompletionSet {
 public:
  bool Contains(int64_t chunk) const;
  // Returns false (and changes nothing) when `chunk` was already there.
  bool Insert(int64_t chunk);
  int64_t size() const { return size_; }
  // Every chunk below this is done.
  int64_t done_prefix() const { return base_; }
  size_t window_words() const { return words_.size(); }
  const std::deque<uint64_t>& words() const { return words_; }
  // Rebuilds a set saved as (done_prefix, words, size).
  static CompletionSet Restore(int64_t base, const std::vector<uint64_t>& words, int64_t size);

 private:
  int64_t base_ = 0;            // a multiple of 64
  std::deque<uint64_t> words_;  // bit i of word w is chunk base_ + 64 w + i
  int64_t size_ = 0;
};

}  // namespace tminus
