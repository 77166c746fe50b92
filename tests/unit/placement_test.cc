// Labels, selectors and the hardware topology reader (on a fake /sys tree).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "common/labels.h"
#include "common/topology.h"
#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

TEST(LabelsTest, ParsesSelectorsAndNamesTheFlag) {
  Labels selector;
  TMINUS_ASSERT_OK(ParseSelector("zone=b,rack=r-1.2", "--on", &selector));
  EXPECT_EQ(FormatLabels(selector), "rack=r-1.2,zone=b");
  Labels empty_value;
  TMINUS_EXPECT_OK(ParseSelector("gpu=", "--on", &empty_value));
  EXPECT_EQ(empty_value.at("gpu"), "");
  const char* bad[] = {"zone",    "=b",        "-zone=b",   "zone-=b", "zo ne=b", "zone=b,",
                       "zone=b,zone=c", "zone= b", "zone=b\t", "k=v\xc3\xa9"};
  for (const char* text : bad) {
    Labels labels;
    EXPECT_THAT(ParseSelector(text, "--on", &labels),
                StatusIs(absl::StatusCode::kInvalidArgument, "--on: "))
        << text;
  }
}

TEST(LabelsTest, LimitsOnCountAndLength) {
  Labels labels;
  EXPECT_THAT(ParseLabel(std::string(64, 'k') + "=v", "--label", &labels),
              StatusIs(absl::StatusCode::kInvalidArgument, "1 to 63 bytes, got 64"));
  EXPECT_THAT(ParseLabel("k=" + std::string(129, 'v'), "--label", &labels),
              StatusIs(absl::StatusCode::kInvalidArgument, "is 129 bytes; at most 128"));
  std::string many;
  for (int i = 0; i < 17; ++i) many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_THAT(ParseSelector(many, "selector", &labels),
              StatusIs(absl::StatusCode::kInvalidArgument, "selector: at most 16 labels, got 17"));
}

TEST(LabelsTest, SelectorMatchesOnlyWhenEveryTermIsEqual) {
  const Labels worker = {{"host", "a"}, {"zone", "b"}};
  EXPECT_TRUE(SelectorMatches({}, worker));
  EXPECT_TRUE(SelectorMatches({{"zone", "b"}}, worker));
  EXPECT_TRUE(SelectorMatches({{"zone", "b"}, {"host", "a"}}, worker));
  EXPECT_FALSE(SelectorMatches({{"zone", "c"}}, worker));
  EXPECT_FALSE(SelectorMatches({{"zone", "b"}, {"gpu", "1"}}, worker));
}

TEST(LabelsTest, NameListsRefuseEmptyAndRepeatedNames) {
  std::vector<std::string> names;
  TMINUS_ASSERT_OK(ParseNameList("w1,w2", "--workers", &names));
  EXPECT_EQ(names, (std::vector<std::string>{"w1", "w2"}));
  std::vector<std::string> again;
  EXPECT_THAT(ParseNameList("w1,,w2", "--workers", &again),
              StatusIs(absl::StatusCode::kInvalidArgument, "--workers: empty name"));
  again.clear();
  EXPECT_THAT(ParseNameList("w1,w1", "--workers", &again),
              StatusIs(absl::StatusCode::kInvalidArgument, "'w1' given twice"));
}

TEST(LabelsTest, SanitizedValuesAreValidLabels) {
  const std::string model =
      SanitizeLabelValue("  Intel(R) Xeon(R) CPU, E5-2690\tv4 @ 2.60GHz \x01 " +
                         std::string(300, 'x'));
  TMINUS_EXPECT_OK(CheckLabel("cpu_model", model, "cpu_model"));
  EXPECT_EQ(model.substr(0, 43), "Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz x");
}

TEST(CpuListTest, ParsesRangesAndRefusesJunk) {
  EXPECT_EQ(*ParseCpuList("0-3,8,10-11"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_TRUE(ParseCpuList("")->empty());
  for (const char* bad : {"3-1", "a", "1,,2", "-1", "0-"}) {
    EXPECT_FALSE(ParseCpuList(bad).ok()) << bad;
  }
}

// A fake /sys: 2 sockets x 2 cores x 2 threads, CPUs numbered the Intel way
// (siblings are n and n+4), one NUMA node per socket.
class FakeSysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Per test and process: ctest runs these tests side by side.
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("fake-sys-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    for (int cpu = 0; cpu < 8; ++cpu) {
      const auto dir = root_ / "devices/system/cpu" / ("cpu" + std::to_string(cpu)) / "topology";
      std::filesystem::create_directories(dir);
      Write(dir / "physical_package_id", std::to_string((cpu % 4) / 2));
      Write(dir / "core_id", std::to_string(cpu % 2));
    }
    std::filesystem::create_directories(root_ / "devices/system/node/node0");
    std::filesystem::create_directories(root_ / "devices/system/node/node1");
    Write(root_ / "devices/system/node/online", "0-1\n");
    Write(root_ / "devices/system/node/node0/cpulist", "0-1,4-5\n");
    Write(root_ / "devices/system/node/node1/cpulist", "2-3,6-7\n");
    Write(root_ / "cpuinfo", "processor\t: 0\nmodel name\t: Fake CPU @ 3.0GHz\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  Topology Read(std::vector<int> cpus) {
    return ReadTopology({root_.string(), (root_ / "cpuinfo").string(), std::move(cpus)});
  }

  std::filesystem::path root_;
};

TEST_F(FakeSysTest, CountsCoresSocketsAndNodesOfTheAllowedCpus) {
  const Topology all = Read({0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(all.logical_cpus, 8);
  EXPECT_EQ(all.physical_cores, 4);
  EXPECT_EQ(all.sockets, 2);
  EXPECT_EQ(all.numa_nodes, 2);
  EXPECT_TRUE(all.smt);
  EXPECT_EQ(all.cpu_model, "Fake CPU @ 3.0GHz");
  // One CPU of each core first, then the hyper-thread siblings.
  EXPECT_EQ(all.pin_order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));

  // A cpuset of one socket's threads: 2 cores, 1 socket, 1 node.
  const Topology half = Read({0, 1, 4, 5});
  EXPECT_EQ(half.physical_cores, 2);
  EXPECT_EQ(half.sockets, 1);
  EXPECT_EQ(half.numa_nodes, 1);
  EXPECT_EQ(half.pin_order, (std::vector<int>{0, 1, 4, 5}));

  // One thread of each of two cores: no SMT for this process.
  const Topology no_smt = Read({0, 2});
  EXPECT_EQ(no_smt.physical_cores, 2);
  EXPECT_FALSE(no_smt.smt);
}

TEST_F(FakeSysTest, PinOrderPutsSiblingsLastWhenNumberedSideBySide) {
  // AMD-style numbering: siblings are 2k and 2k+1.
  for (int cpu = 0; cpu < 8; ++cpu) {
    Write(root_ / "devices/system/cpu" / ("cpu" + std::to_string(cpu)) / "topology/core_id",
          std::to_string(cpu / 2));
    Write(root_ / "devices/system/cpu" / ("cpu" + std::to_string(cpu)) /
              "topology/physical_package_id",
          "0");
  }
  const Topology topology = Read({0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(topology.physical_cores, 4);
  EXPECT_EQ(topology.sockets, 1);
  EXPECT_EQ(topology.pin_order, (std::vector<int>{0, 2, 4, 6, 1, 3, 5, 7}));
}

TEST_F(FakeSysTest, MissingFilesFallBackToOneCorePerCpu) {
  std::filesystem::remove_all(root_ / "devices");
  const Topology topology = Read({0, 1, 2});
  EXPECT_EQ(topology.logical_cpus, 3);
  EXPECT_EQ(topology.physical_cores, 3);
  EXPECT_EQ(topology.sockets, 1);
  EXPECT_EQ(topology.numa_nodes, 1);
  EXPECT_FALSE(topology.smt);
}

TEST(TopologyTest, ThisMachineIsConsistent) {
  const Topology here = ReadTopology();
  EXPECT_GE(here.logical_cpus, 1);
  EXPECT_GE(here.physical_cores, 1);
  EXPECT_LE(here.physical_cores, here.logical_cpus);
  EXPECT_EQ(static_cast<int>(here.pin_order.size()), here.logical_cpus);
  EXPECT_FALSE(here.cpu_model.empty());
}

}  // namespace
}  // namespace tminus
