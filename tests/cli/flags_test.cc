// Bad flags and files given to the three binaries: each is refused at start,
// with exit 2 and a message naming the flag (issue 11, item 11).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/subprocess.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string err;
};

std::string Bin(const std::string& name) { return absl::StrCat(TMINUS_BIN_DIR, "/", name); }

std::string Scratch(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "tminus-flags-", getpid(), "-", name);
}

// Runs argv (20 s at most); its exit code and stderr.
Outcome RunBinary(const std::vector<std::string>& argv) {
  static int counter = 0;
  const std::string base = Scratch(std::to_string(++counter));
  auto process = Subprocess::Start(argv, base + ".out", base + ".err");
  Outcome outcome;
  if (!process.ok()) return outcome;
  const std::optional<int> status = process->Wait(std::chrono::seconds(20));
  if (!status) process->Stop(std::chrono::seconds(1));
  outcome.code = status ? ExitCodeOf(*status) : -1;
  outcome.err = ::tminus::testing::ReadFile(base + ".err");
  unlink((base + ".out").c_str());
  unlink((base + ".err").c_str());
  return outcome;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = Scratch(name);
  std::ofstream(path) << text;
  return path;
}

TEST(FlagsTest, BadDaemonFlagsExitTwoNamingTheFlag) {
  const std::string coordinator = Bin("tminus-coordinator");
  const std::string worker = Bin("tminus-worker");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{coordinator, "--listen", "127.0.0.1:99999", "--state-dir", ""}, "--listen"},
      {{coordinator, "--listen", "127.0.0.1", "--state-dir", ""}, "port is missing"},
      {{coordinator, "--heartbeat-interval", "nan", "--state-dir", ""}, "heartbeat-interval"},
      {{coordinator, "--lease-timeout", "inf", "--state-dir", ""}, "lease-timeout"},
      {{coordinator, "--max-connections", "0", "--state-dir", ""}, "max-connections"},
      {{coordinator, "--no-such-flag"}, "no-such-flag"},
      {{worker, "--slots", "0"}, "--slots"},
      {{worker, "--name", "bad\x1b[31mname"}, "--name"},
      {{worker, "--name", "two words"}, "--name"},
      {{worker, "--name", "\xff\xfe"}, "--name"},
      {{worker, "--coordinator", "host:165636"}, "--coordinator"},
      {{worker, "--coordinator", "127.0.0.1:47199abc"}, "--coordinator"},
      {{worker, "--coordinator", "\"127.0.0.1:42080"}, "--coordinator"},  // not a DNS retry loop
      {{worker, "--kill-grace", "nan"}, "kill-grace"},
      {{worker, "--health-listen", "127.0.0.1:70000"}, "--health-listen"},
      {{Bin("tminus"), "-c", "host:165636", "list"}, "--coordinator"},
  };
  for (const auto& [argv, named] : cases) {
    const Outcome outcome = RunBinary(argv);
    EXPECT_EQ(outcome.code, 2) << argv[1] << " " << argv[2] << ": " << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr(named)) << argv[1] << " " << argv[2];
  }
}

TEST(FlagsTest, ConfigFilesAreStrictTomlOfBoundedSize) {
  const std::string worker = Bin("tminus-worker");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {WriteFile("open.toml", "name = \"unterminated\n"), "line 1"},
      {WriteFile("coord.toml", "slots = 2\ncoordinator = \"127.0.0.1:42080\n"), "line 2"},
      {WriteFile("bare.toml", "log-format = json\n"), "line 1"},
      {WriteFile("section.toml", "[worker]\nslots = 2\n"), "sections"},
      {WriteFile("typo.toml", "slotz = 2\n"), "slotz"},
      {WriteFile("host.toml", "coordinator = \"\\\"127.0.0.1:42080\"\n"), "--coordinator"},
      {"/dev/zero", "larger than"},
  };
  for (const auto& [file, named] : cases) {
    const Outcome outcome = RunBinary({worker, "--config", file});
    EXPECT_EQ(outcome.code, 2) << file << ": " << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr(named)) << file;
  }
  // A good file is read: its (bad) listen address is the one refused.
  const std::string good =
      WriteFile("good.toml", "listen = \"127.0.0.1:99999\"\nmax-attempts = 5\nstate-dir = \"\"\n");
  const Outcome read = RunBinary({Bin("tminus-coordinator"), "--config", good});
  EXPECT_EQ(read.code, 2) << read.err;
  EXPECT_THAT(read.err, HasSubstr("127.0.0.1:99999"));
}

TEST(FlagsTest, AnEmptyValueMeansTheSameFromEverySource) {
  const std::string coordinator = Bin("tminus-coordinator");
  const Outcome flag = RunBinary({coordinator, "--listen", "", "--state-dir", ""});
  EXPECT_EQ(flag.code, 2) << flag.err;
  const Outcome env = RunBinary(
      {"/bin/sh", "-c", "TMINUS_COORDINATOR_LISTEN= exec \"$0\" --state-dir ''", coordinator});
  EXPECT_EQ(env.code, 2) << env.err;  // not the default 0.0.0.0:7070
  EXPECT_THAT(env.err, HasSubstr("--listen"));
  const std::string empty = WriteFile("empty.toml", "listen = \"\"\nstate-dir = \"\"\n");
  const Outcome file = RunBinary({coordinator, "--config", empty});
  EXPECT_EQ(file.code, 2) << file.err;
  const Outcome slots =
      RunBinary({"/bin/sh", "-c", "TMINUS_WORKER_SLOTS= exec \"$0\"", Bin("tminus-worker")});
  EXPECT_EQ(slots.code, 2) << slots.err;
  EXPECT_THAT(slots.err, HasSubstr("TMINUS_WORKER_SLOTS"));
}

// Issue 22: TMINUS_HTTP_LISTEN exported for a coordinator (its name before
// 0.4) made a worker started in the same shell bind the same port and exit 1.
// Each daemon now reads its own variables: the worker serves the port its
// own variable names, and says which variable it reads instead of a name
// from before 0.4 (TMINUS_SLOTS=many would have been exit 2).
TEST(FlagsTest, AVariableExportedForOneDaemonDoesNotReachTheOther) {
  const std::string base = Scratch("shared-env");
  const std::string port_file = base + ".port";
  auto worker = Subprocess::Start(
      {"/bin/sh", "-c",
       "TMINUS_HTTP_LISTEN='not an address' TMINUS_COORDINATOR_HTTP_LISTEN='nor this' "
       "TMINUS_SLOTS=many TMINUS_WORKER_HTTP_LISTEN=127.0.0.1:0 "
       "TMINUS_WORKER_HTTP_PORT_FILE=\"$1\" exec \"$0\" --coordinator 127.0.0.1:1 "
       "--calibrate-every -1 --exit-with-parent",
       Bin("tminus-worker"), port_file},
      base + ".out", base + ".err");
  ASSERT_TRUE(worker.ok()) << worker.status();
  const bool serving = ::tminus::testing::WaitFor(
      [&] { return !::tminus::testing::ReadFile(port_file).empty(); }, std::chrono::seconds(20),
      "the worker's HTTP port file (its own TMINUS_WORKER_HTTP_PORT_FILE)");
  const std::optional<int> exited = worker->Wait(std::chrono::milliseconds(0));
  worker->Stop(std::chrono::seconds(5));
  const std::string err = ::tminus::testing::ReadFile(base + ".err");
  EXPECT_TRUE(serving) << err;
  EXPECT_FALSE(exited.has_value()) << err;
  EXPECT_THAT(err, HasSubstr("TMINUS_SLOTS is not read"));
  EXPECT_THAT(err, HasSubstr("TMINUS_WORKER_SLOTS"));
  for (const std::string& file : {port_file, base + ".out", base + ".err"}) unlink(file.c_str());
}

TEST(FlagsTest, DaemonsSayTheirVersion) {
  for (const char* name : {"tminus-coordinator", "tminus-worker", "tminus"}) {
    const std::string base = Scratch(name);
    auto process = Subprocess::Start({Bin(name), "--version"}, base + ".out");
    ASSERT_TRUE(process.ok());
    const std::optional<int> status = process->Wait(std::chrono::seconds(20));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(ExitCodeOf(*status), 0) << name;
    std::ifstream in(base + ".out");
    std::string version;
    in >> version;
    EXPECT_THAT(version, ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+")) << name;
  }
}

TEST(FlagsTest, TokensThatCouldNeverBeSentAreRefusedAtStart) {
  const std::string coordinator = Bin("tminus-coordinator");
  const std::string huge = WriteFile("huge.token", std::string(1 << 20, 'a') + "\n");
  const std::string accented = WriteFile("accent.token", "caf\xc3\xa9-token-0123456789\n");
  const std::string shared = WriteFile("shared.token", "one-token-for-both-0123456789\n");
  for (const std::string& file : {huge, accented}) {
    const Outcome outcome = RunBinary({coordinator, "--client-token-file", file, "--state-dir", ""});
    EXPECT_EQ(outcome.code, 2) << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr("--client-token-file"));
  }
  const Outcome both = RunBinary({coordinator, "--client-token-file", shared, "--worker-token-file",
                            shared, "--state-dir", ""});
  EXPECT_EQ(both.code, 2);
  EXPECT_THAT(both.err, HasSubstr("share a token"));
  const Outcome env = RunBinary({"/bin/sh", "-c", "TMINUS_TOKEN='caf\xc3\xa9-token-0123456789' exec \"$0\"",
                           Bin("tminus-worker")});
  EXPECT_EQ(env.code, 2) << env.err;
  EXPECT_THAT(env.err, HasSubstr("TMINUS_TOKEN"));
}

}  // namespace
}  // namespace tminus
