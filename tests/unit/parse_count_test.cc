#include "common/parse_count.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

TEST(ParseCountTest, AcceptsTheFormsPeopleType) {
  EXPECT_EQ(*ParseCount("4000000000", "n"), 4'000'000'000);
  EXPECT_EQ(*ParseCount("4e9", "n"), 4'000'000'000);
  EXPECT_EQ(*ParseCount("4.5e9", "n"), 4'500'000'000);
  EXPECT_EQ(*ParseCount("40G", "n"), 40'000'000'000);
  EXPECT_EQ(*ParseCount("1.5k", "n"), 1'500);
  EXPECT_EQ(*ParseCount("2M", "n"), 2'000'000);
  EXPECT_EQ(*ParseCount("1_000_000", "n"), 1'000'000);
  EXPECT_EQ(*ParseCount("9223372036854775807", "n"), 9'223'372'036'854'775'807);
  EXPECT_EQ(*ParseCount("-5", "n"), -5);
  EXPECT_EQ(*ParseCount("0", "n"), 0);
  EXPECT_EQ(*ParseCount("1E3", "n"), 1'000);
}

TEST(ParseCountTest, RejectsWhatIsNotACount) {
  for (const char* text : {"", "abc", "4x", "e9", "4e", "4GG", "1.2.3", "4 G", "0x10", "4e1000"}) {
    EXPECT_THAT(ParseCount(text, "--n"), StatusIs(absl::StatusCode::kInvalidArgument, "--n"))
        << text;
  }
}

TEST(ParseCountTest, RejectsFractionsAndOverflowNamingTheField) {
  EXPECT_THAT(ParseCount("1.5", "--n"), StatusIs(absl::StatusCode::kInvalidArgument, "whole"));
  EXPECT_THAT(ParseCount("9223372036854775808", "--n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "larger than"));
  EXPECT_THAT(ParseCount("10E", "--n"), StatusIs(absl::StatusCode::kInvalidArgument, "larger"));
  EXPECT_THAT(ParseCount("1e30", "--chunks"),
              StatusIs(absl::StatusCode::kInvalidArgument, "--chunks"));
}

}  // namespace
}  // namespace tminus
