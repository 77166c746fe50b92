// absl::Mutex, made visible to ThreadSanitizer.
//
// Debian's Abseil is built without TSan's annotations, so a TSan build sees
// no ordering through absl::Mutex and reports a race on every guarded field.
// Under TSan this wrapper tells it about each lock and unlock (the
// __tsan_mutex_* interface) and about the conditions Await evaluates; in
// every other build it is absl::Mutex and costs nothing. HappensBefore /
// HappensAfter mark the hand-offs that gRPC makes between its threads
// (a reaction runs after the call that started it).
//
// Threading: thread-safe, as absl::Mutex.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TMINUS_TSAN 1
#endif
#endif
#ifdef TMINUS_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace tminus {

#ifdef TMINUS_TSAN
inline void HappensBefore(const void* tag) { __tsan_release(const_cast<void*>(tag)); }
inline void HappensAfter(const void* tag) { __tsan_acquire(const_cast<void*>(tag)); }
#else
inline void HappensBefore(const void*) {}
inline void HappensAfter(const void*) {}
#endif

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  explicit constexpr Mutex(absl::ConstInitType init) : mu_(init) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    BeforeLock();
    mu_.Lock();
    AfterLock();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    BeforeUnlock();
    mu_.Unlock();
    AfterUnlock();
  }
  // Releases the lock until ready() is true (evaluated with it held).
  template <typename Ready>
  void Await(const Ready& ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    auto seen = [this, &ready]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return Evaluate(ready); };
    BeforeUnlock();
    AfterUnlock();
    mu_.Await(absl::Condition(&seen));
    BeforeLock();
    AfterLock();
  }
  // As Await, giving up after `timeout`; returns ready().
  template <typename Ready>
  bool AwaitWithTimeout(const Ready& ready, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    auto seen = [this, &ready]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return Evaluate(ready); };
    BeforeUnlock();
    AfterUnlock();
    const bool became = mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
    BeforeLock();
    AfterLock();
    return became;
  }

 private:
  // Abseil evaluates a condition with its lock held, in whichever thread it
  // likes: to TSan that is an acquire before and a release after.
  template <typename Ready>
  bool Evaluate(const Ready& ready) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    HappensAfter(this);
    const bool result = ready();
    HappensBefore(this);
    return result;
  }

#ifdef TMINUS_TSAN
  void BeforeLock() { __tsan_mutex_pre_lock(this, 0); }
  void AfterLock() { __tsan_mutex_post_lock(this, 0, 0); }
  void BeforeUnlock() { __tsan_mutex_pre_unlock(this, 0); }
  void AfterUnlock() { __tsan_mutex_post_unlock(this, 0); }
#else
  void BeforeLock() {}
  void AfterLock() {}
  void BeforeUnlock() {}
  void AfterUnlock() {}
#endif

  absl::Mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

}  // namespace tminus
