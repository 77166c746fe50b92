// The seed's table through `tminus scale --python`: the threads executor
// shares one interpreter (the GIL: no speedup), the processes executor runs
// one per slot (a speedup). Its own binary, run alone (RUN_SERIAL): a speedup
// measured beside another test's load says nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/cli/kernel_cluster.h"

namespace tminus {
namespace {

using ::tminus::testing::KernelClusterTest;
using ::tminus::testing::kBusyWait;
using ::tminus::testing::Result;
using KernelsCliTest = KernelClusterTest;

// SPEEDUP per (executor, slots) from scale's CSV.
std::map<std::pair<std::string, int>, double> Speedups(const std::string& csv) {
  std::map<std::pair<std::string, int>, double> out;
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  if (lines.empty()) return out;
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  auto column = [&header](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  const size_t executor = column("executor"), slots = column("slots"), speedup = column("speedup");
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    int s = 0;
    double v = 0;
    if (cells.size() <= std::max({executor, slots, speedup}) || !absl::SimpleAtoi(cells[slots], &s) ||
        !absl::SimpleAtod(cells[speedup], &v)) {
      continue;
    }
    out[{cells[executor], s}] = v;
  }
  return out;
}

TEST_F(KernelsCliTest, ScaleShowsTheGilThreadsStayFlatProcessesScale) {
  const std::string out_dir = absl::StrCat(::testing::TempDir(), "tminus-gil-", getpid());
  const Result r = Run({"scale", "--n", "4e7", "--chunks", "16", "--slots", "1,2", "--executor",
                        "both", "--repeat", "2", "--python", kBusyWait + ":busy_wait", "--out",
                        out_dir, "--no-upload", "-o", "csv"},
                       300);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto speedups = Speedups(r.out);
  ASSERT_EQ(speedups.count({"threads", 2}), 1u) << r.out;
  ASSERT_EQ(speedups.count({"processes", 2}), 1u) << r.out;
  // Threads stay flat whatever else runs: the GIL lets one slot count at a
  // time. Processes scale; by how much depends on what else wants the two
  // CPUs (1.9 on an idle machine, 1.37 and 1.52 beside two compilers), so
  // the bound only separates them from the flat line.
  const double threads = speedups.at({"threads", 2});
  const double processes = speedups.at({"processes", 2});
  EXPECT_LE(threads, 1.3) << r.out << r.err;
  EXPECT_GE(processes, 1.25) << r.out << r.err;
  EXPECT_GE(processes - threads, 0.2) << r.out << r.err;
  Subprocess::Start({"rm", "-rf", out_dir})->Wait(std::chrono::seconds(10));
}

}  // namespace
}  // namespace tminus
