// A bounded wait on a condition, for tests that wait on other threads or
// processes: poll the condition itself, never sleep a fixed time and hope.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

namespace tminus::testing {

// Polls `condition` (first at once, then every `poll`) until it holds or
// `timeout` has passed, and checks it one last time then. For ASSERT_TRUE or
// EXPECT_TRUE: on a timeout the failure says "timed out after N ms waiting
// for <what>".
::testing::AssertionResult WaitFor(const std::function<bool()>& condition,
                                   std::chrono::milliseconds timeout, const std::string& what,
                                   std::chrono::milliseconds poll = std::chrono::milliseconds(10));

}  // namespace tminus::testing
