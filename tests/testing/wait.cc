#include "tests/testing/wait.h"

#include <thread>

namespace tminus::testing {

::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   std::chrono::milliseconds timeout, const std::string& what,
                                   std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (condition()) return ::testing::AssertionSuccess();
    if (past) {
      return ::testing::AssertionFailure()
             << "timed out after " << timeout.count() << " ms waiting for " << what;
    }
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace tminus::testing
