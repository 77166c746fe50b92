// The per-client submit token bucket, driven by a fake clock.
#include "coordinator/service/admission.h"

#include <gtest/gtest.h>

#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::FakeClock;
using ::tminus::testing::StatusIs;

constexpr int64_t kSecond = 1'000'000'000;

AdmissionLimits Limits() {
  AdmissionLimits limits;
  limits.submits_per_second = 10;
  limits.submit_burst = 5;
  return limits;
}

// Submits admitted in a row, stopping at the first refusal.
int AdmittedInARow(Admission& admission, const std::string& client) {
  int admitted = 0;
  while (admitted < 1000 && admission.AdmitSubmit(client).ok()) ++admitted;
  return admitted;
}

TEST(AdmissionTest, ABurstIsAdmittedThenRefusedNamingTheLimit) {
  FakeClock clock;
  Admission admission(Limits(), &clock);
  EXPECT_EQ(AdmittedInARow(admission, "a"), 5);
  EXPECT_THAT(admission.AdmitSubmit("a"),
              StatusIs(absl::StatusCode::kResourceExhausted, "at most 10 jobs/s per client"));
  EXPECT_EQ(AdmittedInARow(admission, "b"), 5);  // each client has its own bucket
}

TEST(AdmissionTest, TheBucketRefillsAtTheSustainedRateUpToTheBurst) {
  FakeClock clock;
  Admission admission(Limits(), &clock);
  AdmittedInARow(admission, "a");
  clock.Advance(kSecond / 10 - 1);  // just short of one token
  EXPECT_FALSE(admission.AdmitSubmit("a").ok());
  clock.Advance(1);
  EXPECT_TRUE(admission.AdmitSubmit("a").ok());
  EXPECT_FALSE(admission.AdmitSubmit("a").ok());
  clock.Advance(3 * kSecond / 10);
  EXPECT_EQ(AdmittedInARow(admission, "a"), 3);
  clock.Advance(3600 * kSecond);  // idle for long: still only a burst
  EXPECT_EQ(AdmittedInARow(admission, "a"), 5);
}

}  // namespace
}  // namespace tminus
