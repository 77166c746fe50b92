#include "common/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tminus {
namespace {

TEST(DurationHistogramTest, EmptyIsAllZero) {
  const Percentiles p = DurationHistogram().Summary();
  EXPECT_EQ(p.count, 0);
  EXPECT_EQ(p.p50, 0);
}

TEST(DurationHistogramTest, MinAndMaxAreExact) {
  DurationHistogram h;
  for (int64_t v : {123'456, 7, 99'999'999}) h.Add(v);
  const Percentiles p = h.Summary();
  EXPECT_EQ(p.count, 3);
  EXPECT_EQ(p.min, 7);
  EXPECT_EQ(p.max, 99'999'999);
}

TEST(DurationHistogramTest, PercentilesWithinOneSixteenth) {
  DurationHistogram h;
  for (int64_t v = 1; v <= 100'000; ++v) h.Add(v * 1'000);
  const Percentiles p = h.Summary();
  auto near = [](int64_t got, double want) { return std::fabs(got - want) / want <= 1.0 / 16; };
  EXPECT_TRUE(near(p.p50, 50'000'000)) << p.p50;
  EXPECT_TRUE(near(p.p90, 90'000'000)) << p.p90;
  EXPECT_TRUE(near(p.p99, 99'000'000)) << p.p99;
}

TEST(DurationHistogramTest, OneValueRepeatedIsThatValue) {
  DurationHistogram h;
  for (int i = 0; i < 10; ++i) h.Add(40'000'000);
  EXPECT_EQ(h.Quantile(0.5), 40'000'000);
  EXPECT_EQ(h.Quantile(0.99), 40'000'000);
}

}  // namespace
}  // namespace tminus
