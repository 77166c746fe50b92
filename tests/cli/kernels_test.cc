// Bring your own workload (issue 20), through the built `tminus` against a
// local cluster whose worker allows the python and command kernels: the
// seed's GIL table, exact command jobs, failures with their cause, and
// cancels that leave no process behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/local_cluster.h"
#include "common/subprocess.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

const std::string kBusyWait = std::string(TMINUS_SOURCE_DIR) + "/examples/busy_wait.py";

class KernelsCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LocalClusterOptions options;
    options.bin_dir = TMINUS_BIN_DIR;
    options.work_dir = absl::StrCat(::testing::TempDir(), "tminus-kernels-", getpid());
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = cluster->release();
    std::vector<std::string> flags = {"--allow-kernels", "python,command", "--kill-grace", "1"};
    if (geteuid() == 0) flags.insert(flags.end(), {"--run-as", "nobody"});
    ASSERT_TRUE(cluster_->AddWorker("kernel-worker", 2, flags).ok());
    ASSERT_TRUE(cluster_->WaitForWorkers(1, std::chrono::seconds(20)).ok());
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  static Result Run(std::vector<std::string> args, int timeout_s = 90) {
    static int counter = 0;
    const std::string base = absl::StrCat(::testing::TempDir(), "tminus-kcli-", getpid(), "-", ++counter);
    std::vector<std::string> argv = {std::string(TMINUS_BIN_DIR) + "/tminus", "--coordinator",
                                     cluster_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    Result result;
    auto process = Subprocess::Start(argv, base + ".out", base + ".err");
    if (process.ok()) {
      std::optional<int> status = process->Wait(std::chrono::seconds(timeout_s));
      if (!status) process->Stop(std::chrono::seconds(1));
      result.code = status ? ExitCodeOf(*status) : -1;
    }
    result.out = ReadAll(base + ".out");
    result.err = ReadAll(base + ".err");
    unlink((base + ".out").c_str());
    unlink((base + ".err").c_str());
    return result;
  }

  static LocalCluster* cluster_;
};

LocalCluster* KernelsCliTest::cluster_ = nullptr;

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
  EXPECT_LE(speedups.at({"threads", 2}), 1.3) << r.out << r.err;
  EXPECT_GE(speedups.at({"processes", 2}), 1.6) << r.out << r.err;
  Subprocess::Start({"rm", "-rf", out_dir})->Wait(std::chrono::seconds(10));
}

TEST_F(KernelsCliTest, PythonJobsAreExactOnBothExecutors) {
  for (const char* executor : {"threads", "processes"}) {
    const Result r = Run({"submit", "--n", "200000", "--chunks", "8", "--executor", executor,
                          "--python", kBusyWait + ":busy_wait", "--wait"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("units 200000 of n 200000 (exact)"));
    EXPECT_THAT(r.out, HasSubstr("kernel python busy_wait.py:busy_wait"));
    EXPECT_THAT(r.out, HasSubstr("no calibration for the python kernel"));
  }
}

TEST_F(KernelsCliTest, BadPythonIsRefusedAtSubmitOrFailsWithItsCause) {
  const std::string dir = ::testing::TempDir();
  const std::string broken = absl::StrCat(dir, "tminus-broken-", getpid(), ".py");
  std::ofstream(broken) << "def f(start, count)\n    return count\n";
  Result r = Run({"submit", "--n", "100", "--chunks", "2", "--python", broken + ":f"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("SyntaxError"));
  r = Run({"submit", "--n", "100", "--chunks", "2", "--python", kBusyWait + ":no_such"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("defines no 'no_such'"));
  std::ofstream(broken) << "def f(start, count):\n    raise RuntimeError('bad input ' + str(start))\n";
  r = Run({"submit", "--n", "100", "--chunks", "2", "--max-attempts", "1", "--python", broken + ":f",
           "--wait"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("RuntimeError: bad input"));
  unlink(broken.c_str());
}

TEST_F(KernelsCliTest, ACommandJobIsExactAndAFailureReportsExitStatusAndStderr) {
  Result r = Run({"submit", "--n", "1e5", "--chunks", "10", "--command",
                  "python3 " + std::string(TMINUS_SOURCE_DIR) +
                      "/examples/countdown.py --from {start} --count {count}",
                  "--wait"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("units 100000 of n 100000 (exact)"));
  if (geteuid() == 0) {  // --run-as nobody: never the worker's root
    r = Run({"submit", "--n", "10", "--chunks", "1", "--command",
             "/bin/sh -c 'test $(id -u) = 65534'", "--wait"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
  }
  r = Run({"submit", "--n", "10", "--chunks", "1", "--max-attempts", "1", "--command",
           "/bin/sh -c 'echo the disk is on fire >&2; exit 7'", "--wait"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("exit status 7"));
  EXPECT_THAT(r.out + r.err, HasSubstr("the disk is on fire"));
  r = Run({"submit", "--n", "10", "--chunks", "1", "--command", "prog {nope}"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--command: argument 1 ('{nope}') has unknown placeholder {nope}"));
  r = Run({"submit", "--n", "10", "--chunks", "1", "--executor", "threads", "--command", "true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("processes executor only"));
}

TEST_F(KernelsCliTest, ATimeLimitLeavesNoProcessOfTheCommandBehind) {
  const std::string pids = absl::StrCat(::testing::TempDir(), "tminus-pids-", getpid());
  const Result r = Run({"submit", "--n", "4", "--chunks", "2", "--time-limit", "2s", "--command",
                        "/bin/sh -c 'echo $$ >> " + pids + "; sleep 60 & sleep 60'", "--wait"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out + r.err, HasSubstr("cancelled"));
  std::ifstream in(pids);
  std::vector<pid_t> groups;
  for (pid_t pid = 0; in >> pid;) groups.push_back(pid);
  unlink(pids.c_str());
  ASSERT_FALSE(groups.empty());
  for (pid_t group : groups) {
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {  // the worker's kill grace is 1 s
      gone = kill(-group, 0) == -1 && errno == ESRCH;
      if (!gone) usleep(50'000);
    }
    EXPECT_TRUE(gone) << "process group " << group << " outlived its chunk";
  }
}

}  // namespace
}  // namespace tminus
