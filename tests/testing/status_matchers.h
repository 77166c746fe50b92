// StatusIs(code) for absl::Status and absl::StatusOr<T>: this Abseil has no
// status matchers.
#pragma once

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tminus::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code;
}

MATCHER_P2(StatusIs, code, message_part,
           "has status code " + absl::StatusCodeToString(code) + " and a message containing '" +
               std::string(message_part) + "'") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         std::string(status.message()).find(message_part) != std::string::npos;
}

#define TMINUS_ASSERT_OK(expr)                                            \
  do {                                                                    \
    const auto& tminus_result_ = (expr);                                  \
    ASSERT_TRUE(::tminus::testing::GetStatus(tminus_result_).ok())        \
        << ::tminus::testing::GetStatus(tminus_result_).ToString();       \
  } while (0)

#define TMINUS_EXPECT_OK(expr)                                            \
  do {                                                                    \
    const auto& tminus_result_ = (expr);                                  \
    EXPECT_TRUE(::tminus::testing::GetStatus(tminus_result_).ok())        \
        << ::tminus::testing::GetStatus(tminus_result_).ToString();       \
  } while (0)

}  // namespace tminus::testing
