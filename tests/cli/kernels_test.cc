// Bring your own workload (issue 20), through the built `tminus` against a
// local cluster whose worker allows the python and command kernels: exact
// python and command jobs, failures with their cause, and cancels that leave
// no process behind. (The GIL table: gil_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/cli/kernel_cluster.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;
using ::tminus::testing::KernelClusterTest;
using ::tminus::testing::kBusyWait;
using ::tminus::testing::Result;
using ::tminus::testing::WaitFor;

using KernelsCliTest = KernelClusterTest;


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
    EXPECT_TRUE(WaitFor([&] { return kill(-group, 0) == -1 && errno == ESRCH; },
                        std::chrono::seconds(5),  // the worker's kill grace is 1 s
                        "process group " + std::to_string(group) + " to go",
                        std::chrono::milliseconds(50)))
        << "process group " << group << " outlived its chunk";
  }
}

}  // namespace
}  // namespace tminus
