#include "cli/scale.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <tuple>

#include "absl/strings/str_cat.h"

#include "cli/scale_plan.h"
#include "common/study_series.h"

namespace tminus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(ScaleTest, DefaultSlotListDoublesEndsAtTheTotalAndMarksThePhysicalCores) {
  EXPECT_THAT(DefaultSlotList(1), ElementsAre(1));
  EXPECT_THAT(DefaultSlotList(2), ElementsAre(1, 2));
  EXPECT_THAT(DefaultSlotList(6), ElementsAre(1, 2, 4, 6));
  EXPECT_THAT(DefaultSlotList(16), ElementsAre(1, 2, 4, 8, 16));
  EXPECT_THAT(DefaultSlotList(32, 12), ElementsAre(1, 2, 4, 8, 12, 16, 32));
  EXPECT_THAT(DefaultSlotList(16, 16), ElementsAre(1, 2, 4, 8, 16));
}

TEST(ScaleTest, KarpFlattIsZeroForIdealOneForNoSpeedupAndUnsetAtOneProcessor) {
  EXPECT_DOUBLE_EQ(*KarpFlatt(4.0, 4), 0.0);
  EXPECT_DOUBLE_EQ(*KarpFlatt(1.0, 4), 1.0);
  EXPECT_NEAR(*KarpFlatt(1.6, 2), 0.25, 1e-12);
  EXPECT_FALSE(KarpFlatt(1.0, 1).has_value()) << "undefined at one processor, not 0";
  EXPECT_FALSE(KarpFlatt(0.0, 4).has_value());
}

v1::WorkerInfo Worker(const std::string& id, const std::string& host, int slots, int cores,
                      const std::string& zone = "a") {
  v1::WorkerInfo w;
  w.set_worker_id(id);
  w.set_host("hostname-" + id);
  w.set_slots(slots);
  w.set_state(v1::WORKER_STATE_CONNECTED);
  (*w.mutable_labels())["host"] = host;
  (*w.mutable_labels())["zone"] = zone;
  w.mutable_topology()->set_physical_cores(cores);
  return w;
}

// Two hosts of 4 slots on 2 cores each, host b with two workers, and a
// worker elsewhere that the selector leaves out.
v1::ListWorkersResponse Cluster() {
  v1::ListWorkersResponse all;
  *all.add_workers() = Worker("a1", "host-a", 4, 2);
  *all.add_workers() = Worker("b2", "host-b", 2, 2);
  *all.add_workers() = Worker("b1", "host-b", 2, 2);
  *all.add_workers() = Worker("c1", "host-c", 8, 8, "other");
  v1::WorkerInfo gone = Worker("d1", "host-d", 8, 8);
  gone.set_state(v1::WORKER_STATE_DISCONNECTED);
  *all.add_workers() = gone;
  return all;
}

// The CLI and the dashboard (through the API's "series") name series alike.
TEST(ScaleTest, SeriesNamesAreTheExecutorModeAndAxisOrPlacement) {
  ScalePoint point;
  EXPECT_EQ(SeriesLabel(point), "threads");
  point.mode = ScaleMode::kWeak;
  point.placement = Placement::kPacked;
  EXPECT_EQ(SeriesLabel(point), "threads weak packed");
  point.axis = ScaleAxis::kHosts;
  EXPECT_EQ(SeriesLabel(point), "threads weak hosts");
  EXPECT_EQ(StudySeriesName("processes", "", "", ""), "processes") << "saved before 0.3";
  EXPECT_EQ(StudySeriesName("processes", "strong", "slots", "spread"), "processes spread");
}

TEST(ScalePlanTest, HostsAreTheWorkersHostLabelsInOrder) {
  const ScaleCluster cluster = *ClusterOf(Cluster(), {{"zone", "a"}}, {});
  ASSERT_EQ(cluster.hosts.size(), 2u);
  EXPECT_EQ(cluster.hosts[0].name, "host-a");
  EXPECT_THAT(cluster.hosts[1].workers, ElementsAre("b1", "b2"));
  EXPECT_EQ(cluster.slots(), 8);
  EXPECT_EQ(cluster.workers(), 3);
  EXPECT_EQ(cluster.physical_cores(), 4);  // a host's workers share its cores
  EXPECT_THAT(cluster.HostBoundaries(), ElementsAre(4, 8));
  EXPECT_TRUE(cluster.restricted);
  EXPECT_FALSE(ClusterOf(Cluster(), {{"zone", "nowhere"}}, {}).ok());
  EXPECT_EQ(ClusterOf(Cluster(), {}, {"c1"})->slots(), 8);
}

TEST(ScalePlanTest, PackedFillsHostsInOrderSpreadCapsEachWorker) {
  const ScaleCluster cluster = *ClusterOf(Cluster(), {{"zone", "a"}}, {});
  const PointPlan packed3 = PlanSlots(cluster, 3, Placement::kPacked);
  EXPECT_THAT(packed3.workers, ElementsAre("a1"));
  EXPECT_EQ(packed3.slots, 3);
  EXPECT_EQ(packed3.physical_cores, 2);
  const PointPlan packed5 = PlanSlots(cluster, 5, Placement::kPacked);
  EXPECT_THAT(packed5.workers, ElementsAre("a1", "b1", "b2"));
  EXPECT_EQ(packed5.physical_cores, 4);
  const PointPlan spread = PlanSlots(cluster, 4, Placement::kSpread);
  EXPECT_EQ(spread.workers.size(), 3u);
  EXPECT_EQ(spread.per_worker, 2);  // ceil(4 / 3)
  const PointPlan any = PlanSlots(cluster, 4, Placement::kAny);
  EXPECT_EQ(any.workers.size(), 3u);  // restricted: named
  const ScaleCluster whole = *ClusterOf(Cluster(), {}, {});
  EXPECT_THAT(PlanSlots(whole, 4, Placement::kAny).workers, IsEmpty());  // any worker
}

TEST(ScalePlanTest, TheHostAxisTakesEverySlotOfTheFirstHosts) {
  const ScaleCluster cluster = *ClusterOf(Cluster(), {}, {});
  const PointPlan one = PlanHosts(cluster, 1);
  EXPECT_EQ(one.slots, 4);
  EXPECT_THAT(one.workers, ElementsAre("a1"));
  const PointPlan three = PlanHosts(cluster, 3);
  EXPECT_EQ(three.slots, 16);
  EXPECT_EQ(three.physical_cores, 12);
}

ScaleStudy TwoSeries() {
  ScaleStudy study;
  study.n = 1'000;
  study.chunks = 10;
  study.workers = 2;
  study.hosts = 2;
  study.total_slots = 4;
  study.physical_cores = 2;
  study.host_boundaries = {2, 4};
  study.bare_rate = 2e9;
  for (ScaleMode mode : {ScaleMode::kStrong, ScaleMode::kWeak}) {
    for (int slots : {1, 2, 4}) {
      ScalePoint p;
      p.mode = mode;
      p.placement = Placement::kPacked;
      p.slots = slots;
      p.hosts = slots > 2 ? 2 : 1;
      p.physical_cores = 2;
      p.n = mode == ScaleMode::kWeak ? 1'000 * slots : 1'000;
      p.wall_s = {1.0 / slots};
      p.median_s = p.min_s = p.max_s = 1.0 / slots;
      p.speedup = slots;
      p.efficiency = 1;
      p.counting_fraction = 0.97;
      p.calibrated_rate = 2e9 * slots;
      p.vs_calibration = 0.95;
      study.points.push_back(p);
    }
  }
  return study;
}

TEST(ScaleTest, TheTableMarksSlotsPastThePhysicalCoresAndExplainsItsColumns) {
  std::ostringstream out;
  PrintScaleTable(TwoSeries(), out);
  const std::string table = out.str();
  EXPECT_THAT(table, HasSubstr("2 worker(s) on 2 host(s), 4 slots, 2 physical cores"));
  EXPECT_THAT(table, HasSubstr("4*"));
  EXPECT_THAT(table, HasSubstr("* past the physical cores"));
  EXPECT_THAT(table, HasSubstr("COUNTING"));
  EXPECT_THAT(table, HasSubstr("VS-CALIB"));
  EXPECT_THAT(table, HasSubstr("threads weak packed"));
  EXPECT_THAT(table, HasSubstr("97.0%"));
}

TEST(ScaleTest, SvgHasAxesLegendSeriesAndTheCoreAndHostMarks) {
  const std::string svg = ScaleSvg(TwoSeries());
  EXPECT_THAT(svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(svg, HasSubstr("Speedup vs slots"));
  EXPECT_THAT(svg, HasSubstr("Efficiency vs slots"));
  EXPECT_THAT(svg, HasSubstr(">ideal</text>"));
  EXPECT_THAT(svg, HasSubstr(">threads packed</text>"));
  EXPECT_THAT(svg, HasSubstr(">threads weak packed</text>"));
  EXPECT_THAT(svg, HasSubstr(">physical cores: 2</text>"));
  EXPECT_THAT(svg, HasSubstr(">host 1 full</text>"));
  EXPECT_THAT(svg, HasSubstr("stroke-dasharray=\"8 4\""));  // weak is dashed
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
}

// One strong threads series at 1..max_slots slots on a machine of `cores`
// physical cores (0: unknown).
ScaleStudy OneSeries(int max_slots, int cores) {
  ScaleStudy study;
  study.n = 1'000;
  study.chunks = 10;
  study.workers = 1;
  study.hosts = 1;
  study.total_slots = max_slots;
  study.physical_cores = cores;
  for (int slots = 1; slots <= max_slots; slots *= 2) {
    ScalePoint p;
    p.slots = slots;
    p.hosts = 1;
    p.physical_cores = cores;
    p.median_s = p.min_s = p.max_s = 1.0 / slots;
    p.wall_s = {p.median_s};
    p.speedup = slots;
    p.efficiency = 1;
    study.points.push_back(p);
  }
  return study;
}

// Each marker label (class "mark") as [x, anchored at its end, text].
std::vector<std::tuple<double, bool, std::string>> MarkLabels(const std::string& svg) {
  std::vector<std::tuple<double, bool, std::string>> labels;
  for (size_t at = svg.find("class=\"mark\""); at != std::string::npos;
       at = svg.find("class=\"mark\"", at + 1)) {
    const size_t open = svg.rfind("<text", at);
    const size_t x = svg.find(" x=\"", open) + 4;
    const size_t text = svg.find('>', at) + 1;
    const std::string tag = svg.substr(open, text - open);
    labels.emplace_back(std::stod(svg.substr(x)), tag.find("text-anchor=\"end\"") != std::string::npos,
                        svg.substr(text, svg.find("</text>", text) - text));
  }
  return labels;
}

double ViewBoxWidth(const std::string& svg) {
  return std::stod(svg.substr(svg.find("viewBox=\"0 0 ") + 13));
}

TEST(ScaleTest, SvgMarksThePhysicalCoresWheneverTheyAreKnownWithTheLabelInside) {
  // The cores at the last slot count (the 2-core demo, the 16-core study),
  // beyond it (a study that stopped short of the cores), and within it.
  for (const auto& [max_slots, cores] : std::vector<std::pair<int, int>>{{2, 2}, {16, 16}, {2, 4},
                                                                          {8, 4}}) {
    SCOPED_TRACE(absl::StrCat(max_slots, " slots, ", cores, " cores"));
    const std::string svg = ScaleSvg(OneSeries(max_slots, cores));
    // One dashed line in each panel.
    size_t lines = 0;
    for (size_t at = svg.find("class=\"cores\""); at != std::string::npos;
         at = svg.find("class=\"cores\"", at + 1)) {
      ++lines;
    }
    EXPECT_EQ(lines, 2u);
    const double width = ViewBoxWidth(svg);
    const auto labels = MarkLabels(svg);
    ASSERT_EQ(labels.size(), 2u);
    for (const auto& [x, end, text] : labels) {
      EXPECT_EQ(text, absl::StrCat("physical cores: ", cores));
      // 10px sans-serif: under 7px a character.
      const double extent = 7.0 * static_cast<double>(text.size());
      EXPECT_GE(end ? x - extent : x, 0);
      EXPECT_LE(end ? x : x + extent, width) << "the label runs past the viewBox";
    }
  }
  // Unknown cores: no line, and the footer says they are unknown.
  const std::string unknown = ScaleSvg(OneSeries(2, 0));
  EXPECT_THAT(unknown, Not(HasSubstr("class=\"cores\"")));
  EXPECT_THAT(unknown, HasSubstr("physical cores unknown"));
}

TEST(ScaleTest, CsvAndJsonHaveOneRowPerPointWithTheNewColumns) {
  const ScaleStudy study = TwoSeries();
  const std::string csv = ScaleCsv(study);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  EXPECT_THAT(csv, HasSubstr("counting_fraction,calibrated_decrements_per_second,vs_calibration"));
  EXPECT_THAT(csv, HasSubstr("threads weak packed,threads,weak,slots,packed,2,4,1,4000,0.250000,"));
  const std::string json = ScaleJson(study);
  EXPECT_THAT(json, HasSubstr("\"mode\": \"weak\""));
  EXPECT_THAT(json, HasSubstr("\"past_physical_cores\": true"));
  EXPECT_THAT(json, HasSubstr("\"host_boundaries\": [2, 4]"));
  const v1::Study proto = StudyProto(study, 1, "s");
  EXPECT_EQ(proto.physical_cores(), 2);
  EXPECT_EQ(proto.points(3).mode(), "weak");
  EXPECT_DOUBLE_EQ(proto.points(0).counting_fraction(), 0.97);
}

}  // namespace
}  // namespace tminus
