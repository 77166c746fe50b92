#include "cli/scale.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tminus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ScaleTest, DefaultSlotListDoublesThenEndsAtTheTotal) {
  EXPECT_THAT(DefaultSlotList(1), ElementsAre(1));
  EXPECT_THAT(DefaultSlotList(2), ElementsAre(1, 2));
  EXPECT_THAT(DefaultSlotList(6), ElementsAre(1, 2, 4, 6));
  EXPECT_THAT(DefaultSlotList(16), ElementsAre(1, 2, 4, 8, 16));
}

TEST(ScaleTest, KarpFlattIsZeroForIdealAndOneForNoSpeedup) {
  EXPECT_DOUBLE_EQ(KarpFlatt(4.0, 4), 0.0);
  EXPECT_DOUBLE_EQ(KarpFlatt(1.0, 4), 1.0);
  EXPECT_NEAR(KarpFlatt(1.6, 2), 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(KarpFlatt(1.0, 1), 0.0);
}

ScaleStudy TwoExecutors() {
  ScaleStudy study;
  study.n = 1'000;
  study.chunks = 10;
  study.workers = 1;
  study.total_slots = 2;
  study.bare_rate = 2e9;
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    for (int slots : {1, 2}) {
      ScalePoint p;
      p.executor = executor;
      p.slots = slots;
      p.wall_s = {1.0 / slots};
      p.median_s = p.min_s = p.max_s = 1.0 / slots;
      p.speedup = slots;
      p.efficiency = 1;
      study.points.push_back(p);
    }
  }
  return study;
}

TEST(ScaleTest, SvgHasAxesLabelsLegendAndBothExecutors) {
  const std::string svg = ScaleSvg(TwoExecutors());
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("Speedup vs slots"));
  EXPECT_THAT(svg, HasSubstr("Efficiency vs slots"));
  EXPECT_THAT(svg, HasSubstr(">slots</text>"));
  EXPECT_THAT(svg, HasSubstr(">ideal</text>"));
  EXPECT_THAT(svg, HasSubstr(">threads</text>"));
  EXPECT_THAT(svg, HasSubstr(">processes</text>"));
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

TEST(ScaleTest, CsvAndJsonHaveOneRowPerPoint) {
  const ScaleStudy study = TwoExecutors();
  const std::string csv = ScaleCsv(study);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_THAT(csv, HasSubstr("processes,2,1,0.500000,"));
  const std::string json = ScaleJson(study);
  EXPECT_THAT(json, HasSubstr("\"executor\": \"threads\", \"slots\": 2"));
  EXPECT_THAT(json, HasSubstr("\"bare_rate_per_thread\": 2000000000"));
}

}  // namespace
}  // namespace tminus
