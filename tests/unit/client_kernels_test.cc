// The python and command kernels: the command line's splitting and
// placeholders, the spec's limits, and both kernels run for real (the
// embedded interpreter, forked programs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "common/job_spec.h"
#include "common/proto_convert.h"
#include "tests/testing/wait.h"
#include "worker/command_kernel.h"
#include "worker/python_kernel.h"

namespace tminus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::tminus::testing::WaitFor;

TEST(CommandLineTest, SplitsLikeAShellWithoutRunningOne) {
  auto argv = SplitCommandLine(R"(prog --from {start} 'a b' "c \"d\" $HOME" e\ f)", "--command");
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("prog", "--from", "{start}", "a b", "c \"d\" $HOME", "e f"));
  EXPECT_THAT(SplitCommandLine("prog 'open", "--command").status().message(),
              HasSubstr("never closed"));
  EXPECT_THAT(SplitCommandLine("   ", "--command").status().message(), HasSubstr("empty"));
}

TEST(CommandLineTest, PlaceholdersAreCheckedOnceAndReplacedPerChunk) {
  const std::vector<std::string> argv = {"p", "--from={start}", "{count}", "{{literal}}", "{job}/{chunk}/{attempt}"};
  EXPECT_TRUE(CheckCommandTemplate(argv, "argv").ok());
  EXPECT_THAT(ExpandCommand(argv, ChunkValues{10, 5, 2, 7, 3}),
              ElementsAre("p", "--from=10", "5", "{literal}", "7/2/3"));
  EXPECT_THAT(CheckCommandTemplate({"p", "{stop}"}, "argv").message(),
              HasSubstr("unknown placeholder {stop}"));
  EXPECT_THAT(CheckCommandTemplate({"p", "{start"}, "argv").message(), HasSubstr("no '}'"));
  EXPECT_THAT(CheckCommandTemplate({"p", "x}"}, "argv").message(), HasSubstr("lone '}'"));
}

JobSpec KernelJob(std::shared_ptr<KernelSpec> kernel, ExecutorKind executor) {
  JobSpec spec;
  spec.n = 100;
  spec.chunk_count = 4;
  spec.executor = executor;
  spec.kernel = std::move(kernel);
  return spec;
}

TEST(KernelSpecTest, EachLimitIsNamed) {
  auto python = std::make_shared<KernelSpec>();
  python->kind = KernelKind::kPython;
  python->source = "def f(s, c):\n    return c\n";
  python->function = "f";
  EXPECT_TRUE(ValidateJobSpec(KernelJob(python, ExecutorKind::kThreads)).ok());
  python->function = "not a name";
  EXPECT_THAT(ValidateJobSpec(KernelJob(python, ExecutorKind::kThreads)).message(),
              HasSubstr("kernel.python.function"));
  python->function = "f";
  python->source = std::string(kMaxPythonSourceBytes + 1, '#');
  EXPECT_THAT(ValidateJobSpec(KernelJob(python, ExecutorKind::kThreads)).message(),
              HasSubstr("256 KiB"));
  python->source = std::string("x = 1\0", 6);
  EXPECT_THAT(ValidateJobSpec(KernelJob(python, ExecutorKind::kThreads)).message(),
              HasSubstr("NUL"));
  auto command = std::make_shared<KernelSpec>();
  command->kind = KernelKind::kCommand;
  command->argv = {"/bin/true", "{count}"};
  EXPECT_TRUE(ValidateJobSpec(KernelJob(command, ExecutorKind::kProcesses)).ok());
  EXPECT_THAT(ValidateJobSpec(KernelJob(command, ExecutorKind::kThreads)).message(),
              HasSubstr("processes executor only"));
  command->argv = {};
  EXPECT_THAT(ValidateJobSpec(KernelJob(command, ExecutorKind::kProcesses)).message(),
              HasSubstr("1 to 256 arguments"));
  command->argv = {"/bin/true", "{nope}"};
  EXPECT_THAT(ValidateJobSpec(KernelJob(command, ExecutorKind::kProcesses)).message(),
              HasSubstr("unknown placeholder {nope}"));
}

TEST(KernelSpecTest, TheKernelCrossesTheWireUnchanged) {
  auto command = std::make_shared<KernelSpec>();
  command->kind = KernelKind::kCommand;
  command->argv = {"prog", "{start}"};
  const JobSpec back = FromProto(ToProto(KernelJob(command, ExecutorKind::kProcesses)));
  ASSERT_NE(back.kernel, nullptr);
  EXPECT_EQ(back.kernel_kind(), KernelKind::kCommand);
  EXPECT_EQ(back.kernel->argv, command->argv);
  JobSpec countdown = KernelJob(nullptr, ExecutorKind::kThreads);
  EXPECT_FALSE(ToProto(countdown).has_kernel());
  EXPECT_EQ(FromProto(ToProto(countdown)).kernel, nullptr);
}

// ---- the python kernel, in this process's interpreter ----

KernelSpec Python(const std::string& source, const std::string& function = "f") {
  KernelSpec kernel;
  kernel.kind = KernelKind::kPython;
  kernel.source = source;
  kernel.function = function;
  kernel.file_name = "test.py";
  return kernel;
}

uint64_t NextJob() {
  static std::atomic<uint64_t> job{1000};
  return ++job;
}

TEST(PythonKernelTest, AFunctionThatReturnsItsCountIsDone) {
  const PythonRun run = RunPythonChunk(
      NextJob(), Python("def f(start, count):\n    n = count\n    while n > 0:\n        n -= 1\n    return count\n"),
      5, 1000, nullptr);
  EXPECT_EQ(run.outcome, PythonRun::Outcome::kOk) << run.error;
  EXPECT_EQ(run.done, 1000);
}

TEST(PythonKernelTest, EveryWayToGetItWrongFailsTheChunkWithTheCause) {
  auto error = [](const std::string& source, const std::string& function = "f") {
    const PythonRun run = RunPythonChunk(NextJob(), Python(source, function), 0, 10, nullptr);
    EXPECT_EQ(run.outcome, PythonRun::Outcome::kFailed);
    return run.error;
  };
  EXPECT_THAT(error("def f(start, count):\n    raise ValueError('boom')\n"),
              HasSubstr("ValueError: boom (test.py, line 2)"));
  EXPECT_THAT(error("def f(start, count):\n    return count - 1\n"),
              HasSubstr("f returned 9 for a chunk of 10 units: the job would be inexact"));
  EXPECT_THAT(error("def f(start, count):\n    return 'ten'\n"), HasSubstr("returned a str"));
  EXPECT_THAT(error("def g(start, count):\n    return count\n"), HasSubstr("defines no 'f'"));
  EXPECT_THAT(error("f = 3\n"), HasSubstr("is a int, not a function"));
  EXPECT_THAT(error("def f(start, count)\n    return count\n"), HasSubstr("SyntaxError"));
  EXPECT_THAT(error("import no_such_module_here\n"), HasSubstr("ModuleNotFoundError"));
}

TEST(PythonKernelTest, AFunctionThatRebindsItsNameIsStillTheOneCalled) {
  const uint64_t job = NextJob();
  const KernelSpec kernel = Python(
      "def other(s, c):\n    return c\n"
      "def f(start, count):\n    global f\n    f = other\n    return count\n");
  for (int i = 0; i < 3; ++i) {  // the kept function outlives its rebound name
    EXPECT_EQ(RunPythonChunk(job, kernel, 0, 7, nullptr).outcome, PythonRun::Outcome::kOk);
  }
}

TEST(PythonKernelTest, AJobIdIsNeverEnoughToReuseAnotherJobsFunction) {
  const uint64_t job = NextJob();
  EXPECT_EQ(RunPythonChunk(job, Python("def f(s, c):\n    return c\n"), 0, 5, nullptr).done, 5);
  // The same id with another source (a coordinator restarted without state).
  const PythonRun other =
      RunPythonChunk(job, Python("def f(s, c):\n    raise ValueError('new job')\n"), 0, 5, nullptr);
  EXPECT_THAT(other.error, HasSubstr("new job"));
}

TEST(PythonKernelTest, IntegersOfOtherTypesCountFloatsDoNotAndHugeValuesStayShort) {
  EXPECT_EQ(RunPythonChunk(NextJob(),
                           Python("class N:\n    def __init__(self, v): self.v = v\n"
                                  "    def __index__(self): return self.v\n"
                                  "def f(s, c):\n    return N(c)\n"),
                           0, 9, nullptr)
                .outcome,
            PythonRun::Outcome::kOk);
  EXPECT_THAT(RunPythonChunk(NextJob(), Python("def f(s, c):\n    return float(c)\n"), 0, 9, nullptr).error,
              HasSubstr("returned a float, not an int"));
  const PythonRun huge = RunPythonChunk(NextJob(), Python("def f(s, c):\n    return 10**4000\n"), 0, 9, nullptr);
  EXPECT_THAT(huge.error, HasSubstr("the job would be inexact"));
  EXPECT_LT(huge.error.size(), 300u);
}

TEST(PythonKernelTest, AStopReachesAJobsModuleCodeToo) {
  std::atomic<bool> stop{false};
  std::thread stopper([&stop] {
    // On purpose: the stop comes while the Python code runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  const PythonRun run = RunPythonChunk(
      NextJob(), Python("while True:\n    pass\ndef f(s, c):\n    return c\n"), 0, 1, &stop);
  stopper.join();
  EXPECT_EQ(run.outcome, PythonRun::Outcome::kCancelled) << run.error;
}

TEST(PythonKernelTest, AStopInterruptsARunningCall) {
  std::atomic<bool> stop{false};
  std::thread stopper([&stop] {
    // On purpose: the stop comes while the Python code runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  const PythonRun run = RunPythonChunk(
      NextJob(), Python("def f(start, count):\n    while True:\n        pass\n"), 0, 1, &stop);
  stopper.join();
  EXPECT_EQ(run.outcome, PythonRun::Outcome::kCancelled) << run.error;
  // The interpreter is still fine for the next call.
  EXPECT_EQ(RunPythonChunk(NextJob(), Python("def f(s, c):\n    return c\n"), 0, 3, &stop).outcome,
            PythonRun::Outcome::kOk);
}

// ---- the command kernel: real programs ----

CommandRun RunCommand(const std::vector<std::string>& argv, const std::atomic<bool>& stop) {
  CommandOptions options;
  options.kill_grace = std::chrono::milliseconds(500);
  return RunCommandChunk(argv, ChunkValues{3, 4, 1, 9, 1}, stop, options);
}

TEST(CommandKernelTest, ExitZeroIsDoneAndTheChunkIsInItsArgumentsAndEnvironment) {
  std::atomic<bool> stop{false};
  const CommandRun run = RunCommand(
      {"/bin/sh", "-c", "test \"$0 $1 $TMINUS_START $TMINUS_COUNT $TMINUS_JOB\" = '3 4 3 4 9'",
       "{start}", "{count}"},
      stop);
  EXPECT_EQ(run.outcome, CommandRun::Outcome::kOk) << run.error;
}

TEST(CommandKernelTest, AFailureCarriesItsExitStatusAndTheEndOfStderr) {
  std::atomic<bool> stop{false};
  const CommandRun run =
      RunCommand({"/bin/sh", "-c", "echo first >&2; echo last words >&2; exit 3"}, stop);
  EXPECT_EQ(run.outcome, CommandRun::Outcome::kFailed);
  EXPECT_THAT(run.error, HasSubstr("exit status 3"));
  EXPECT_THAT(run.error, HasSubstr("last words"));
  const CommandRun missing = RunCommand({"no-such-program-anywhere"}, stop);
  EXPECT_THAT(missing.error, HasSubstr("not found in PATH"));
  const CommandRun signalled = RunCommand({"/bin/sh", "-c", "kill -9 $$"}, stop);
  EXPECT_THAT(signalled.error, HasSubstr("killed by signal 9"));
}

TEST(CommandKernelTest, TheWorkersOwnSettingsNeverReachAProgram) {
  setenv("TMINUS_TOKEN", "secret-worker-token-0123456789", 1);
  std::atomic<bool> stop{false};
  const CommandRun run = RunCommand({"/bin/sh", "-c", "test -z \"$TMINUS_TOKEN\""}, stop);
  unsetenv("TMINUS_TOKEN");
  EXPECT_EQ(run.outcome, CommandRun::Outcome::kOk) << run.error;
}

TEST(CommandKernelTest, LotsOfStderrKeepsOnlyItsEnd) {
  std::atomic<bool> stop{false};
  const CommandRun run = RunCommand(
      {"/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i >&2; i=$((i+1)); done; exit 1"},
      stop);
  EXPECT_THAT(run.error, HasSubstr("line 2998 | line 2999"));
  EXPECT_LE(run.error.size(), kStderrTailBytes + 200);
}

TEST(CommandKernelTest, AStopKillsTheWholeProcessGroup) {
  const std::string pid_file = absl::StrCat(::testing::TempDir(), "tminus-cmd-", getpid());
  std::atomic<bool> stop{false};
  std::thread stopper([&stop] {
    // On purpose: the stop comes while the command runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  // A background child too, and a shell that ignores SIGTERM: the group
  // still goes (SIGKILL after the grace).
  const CommandRun run = RunCommand(
      {"/bin/sh", "-c", "trap '' TERM; echo $$ > " + pid_file + "; sleep 60 & sleep 60"}, stop);
  stopper.join();
  EXPECT_EQ(run.outcome, CommandRun::Outcome::kCancelled) << run.error;
  std::ifstream in(pid_file);
  pid_t group = 0;
  in >> group;
  unlink(pid_file.c_str());
  ASSERT_GT(group, 0);
  // Killed at once; gone once init has reaped the orphans (zombies still
  // count as members of the group).
  EXPECT_TRUE(WaitFor([&] { return kill(-group, 0) == -1 && errno == ESRCH; },
                      std::chrono::seconds(5),
                      "process group " + std::to_string(group) + " to go",
                      std::chrono::milliseconds(20)))
      << "process group " << group << " outlived the chunk";
}

}  // namespace
}  // namespace tminus
