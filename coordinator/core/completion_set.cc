#include "coordinator/core/completion_set.h"

namespace tminus {

bool CompletionSet::Contains(int64_t chunk) const {
  if (chunk < base_) return true;
  const uint64_t offset = static_cast<uint64_t>(chunk - base_);
  const uint64_t word = offset / 64;
  if (word >= words_.size()) return false;
  return (words_[word] >> (offset % 64)) & 1;
}

bool CompletionSet::Insert(int64_t chunk) {
  if (Contains(chunk)) return false;
  const uint64_t offset = static_cast<uint64_t>(chunk - base_);
  const uint64_t word = offset / 64;
  if (word >= words_.size()) words_.resize(word + 1, 0);
  words_[word] |= uint64_t{1} << (offset % 64);
  ++size_;
  while (!words_.empty() && words_.front() == ~uint64_t{0}) {
    words_.pop_front();
    base_ += 64;
  }
  return true;
}

CompletionSet CompletionSet::Restore(int64_t base, const std::vector<uint64_t>& words,
                                     int64_t size) {
  CompletionSet set;
  set.base_ = base;
  set.words_.assign(words.begin(), words.end());
  set.size_ = size;
  return set;
}

}  // namespace tminus
