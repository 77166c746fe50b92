// The built `tminus` binary against a local cluster of the built daemons:
// output formats, exit codes, and every bad input named in the issue.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/local_cluster.h"
#include "common/rpc.h"
#include "common/subprocess.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::tminus::testing::ReadFile;
using ::tminus::testing::WaitFor;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LocalClusterOptions options;
    options.bin_dir = TMINUS_BIN_DIR;
    options.work_dir = absl::StrCat(::testing::TempDir(), "tminus-cli-", getpid());
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = cluster->release();
    ASSERT_TRUE(cluster_->AddWorker("cli-worker", 2).ok());
    ASSERT_TRUE(cluster_->WaitForWorkers(1, std::chrono::seconds(20)).ok());
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // Runs `tminus --coordinator <cluster> args...` with a 60 s limit.
  static CliResult Run(std::vector<std::string> args, const std::string& coordinator = "") {
    std::vector<std::string> argv = {"--coordinator",
                                     coordinator.empty() ? cluster_->address() : coordinator};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunExactly(argv);
  }

  // `tminus args...`, nothing added.
  static CliResult RunExactly(std::vector<std::string> args) {
    static int counter = 0;
    const std::string base = absl::StrCat(::testing::TempDir(), "cli-", getpid(), "-", ++counter);
    std::vector<std::string> argv = {std::string(TMINUS_BIN_DIR) + "/tminus"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto process = Subprocess::Start(argv, base + ".out", base + ".err");
    CliResult result;
    if (!process.ok()) return result;
    std::optional<int> status = process->Wait(std::chrono::seconds(60));
    if (!status) process->Stop(std::chrono::seconds(1));
    result.code = status ? ExitCodeOf(*status) : -1;
    result.out = ReadFile(base + ".out");
    result.err = ReadFile(base + ".err");
    unlink((base + ".out").c_str());
    unlink((base + ".err").c_str());
    return result;
  }

  static std::string SubmitSmall(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"submit", "--n", "2e8", "--chunks", "8"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = Run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  static LocalCluster* cluster_;
};

LocalCluster* CliTest::cluster_ = nullptr;

TEST_F(CliTest, SubmitPrintsTheJobIdAndWaitPrintsAnExactReport) {
  EXPECT_THAT(SubmitSmall(), MatchesRegex("[0-9]+"));
  CliResult r = Run({"submit", "--n", "3e8", "--chunk-size", "7e7", "--executor", "processes",
                     "--name", "cli-wait", "--wait"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("succeeded"));
  EXPECT_THAT(r.out, HasSubstr("decrements 300000000 of n 300000000 (exact)"));
  EXPECT_THAT(r.out, HasSubstr("speedup"));
  EXPECT_THAT(r.out, HasSubstr("cli-worker"));
}

TEST_F(CliTest, ReadCommandsSpeakTableJsonAndCsv) {
  const std::string id = SubmitSmall({"--name", "formats"});
  ASSERT_EQ(Run({"watch", id}).code, 0);
  CliResult table = Run({"status", id});
  EXPECT_EQ(table.code, 0);
  EXPECT_THAT(table.out, HasSubstr("succeeded"));
  CliResult json = Run({"status", id, "--output", "json"});
  EXPECT_EQ(json.code, 0);
  EXPECT_THAT(json.out, HasSubstr("\"state\": \"JOB_STATE_SUCCEEDED\""));
  CliResult csv = Run({"report", id, "--output", "csv"});
  EXPECT_EQ(csv.code, 0);
  EXPECT_THAT(csv.out, HasSubstr("job_id,state,n,decrements,exact"));
  EXPECT_THAT(csv.out, HasSubstr(",succeeded,200000000,200000000,true,"));
  CliResult report_json = Run({"report", id, "-o", "json"});
  EXPECT_THAT(report_json.out, HasSubstr("\"decrements\": \"200000000\""));
  CliResult list = Run({"list", "--output", "csv"});
  EXPECT_EQ(list.code, 0);
  EXPECT_THAT(list.out, HasSubstr("job_id,name,state,n,executor,chunks_done,chunk_total"));
  EXPECT_THAT(list.out, HasSubstr("formats"));
  CliResult workers = Run({"workers", "--output", "json"});
  EXPECT_EQ(workers.code, 0);
  EXPECT_THAT(workers.out, HasSubstr("\"worker_id\": \"cli-worker\""));
  EXPECT_THAT(Run({"workers"}).out, HasSubstr("connected"));
  // Its CPU and memory, as it reports them (every second): a CPU figure and
  // some megabytes of memory, not the blanks of a worker with no report.
  EXPECT_TRUE(WaitFor([] {
    const CliResult csv = Run({"workers", "-o", "csv"});
    return csv.out.find(",calibrated_decrements_per_second,cpu_cores,resident_bytes,") !=
               std::string::npos &&
           std::regex_search(csv.out, std::regex(",[0-9.]+,[0-9]{7,},[0-9]+,"));
  }, std::chrono::seconds(10), "cpu_cores and resident_bytes in `workers -o csv`",
                      std::chrono::milliseconds(200)));
}

TEST_F(CliTest, WatchPrintsPlainLinesWhenNotOnATerminal) {
  const std::string id = SubmitSmall();
  CliResult r = Run({"watch", id, "--interval-ms", "50"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("job=", id, " state=succeeded progress=100.0%")));
  EXPECT_EQ(r.out.find("\x1b["), std::string::npos);  // no terminal escapes in a pipe
}

TEST_F(CliTest, CancelledJobMakesWatchAndWaitExitOne) {
  const std::string id = SubmitSmall({});
  CliResult big = Run({"submit", "--n", "1P", "--chunks", "4"});
  ASSERT_EQ(big.code, 0);
  const std::string big_id = big.out.substr(0, big.out.find('\n'));
  CliResult cancel = Run({"cancel", big_id});
  EXPECT_EQ(cancel.code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled"));
  EXPECT_EQ(Run({"watch", big_id}).code, 1);
  EXPECT_EQ(Run({"watch", id}).code, 0);
}

TEST_F(CliTest, BadInputIsAUsageErrorNamingTheField) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"submit", "--n", "0", "--chunks", "1"}, "--n: must be at least 1, got 0"},
      {{"submit", "--n", "0"}, "--n: must be at least 1, got 0"},
      {{"submit", "--n", "-5", "--chunks", "1"}, "got -5"},
      {{"submit", "--n", "9223372036854775808", "--chunks", "1"}, "larger than"},
      {{"submit", "--n", "lots", "--chunks", "1"}, "--n: 'lots' is not a count"},
      {{"submit", "--n", "100", "--chunks", "0"}, "--chunks: must be between 1 and n"},
      {{"submit", "--n", "100", "--chunks", "101"}, "--chunks"},
      {{"submit", "--n", "100", "--chunk-size", "0"}, "--chunk-size: must be at least 1"},
      {{"submit", "--n", "1e12", "--chunk-size", "1"}, "at most 1000000000 chunks per job"},
      {{"submit", "--n", "100", "--chunks", "1", "--chunk-size", "5"}, "at most one of --chunks and --chunk-size"},
      {{"submit", "--n", "100", "--chunks", "1", "--executor", "gpu"}, "--executor"},
      {{"submit", "--n", "100", "--chunks", "1", "--priority", "-1"}, "priority"},
      {{"submit", "--n", "100", "--chunks", "1", "--max-slots", "-2"}, "--max-slots: must be between"},
      {{"status", "abc"}, "not a job id"},
      {{"status", "1", "--output", "xml"}, "--output"},
      {{"frobnicate"}, "unknown command 'frobnicate'; the commands of `tminus` are: submit"},
      {{"cluster", "status"}, "unknown command 'status'; the commands of `tminus cluster` are: up, down"},
      {{}, "`tminus` needs a command"},
  };
  const std::string before = Run({"list", "-o", "csv"}).out;
  const auto jobs_before = std::count(before.begin(), before.end(), '\n');
  for (const Case& c : cases) {
    CliResult r = Run(c.args);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(c.args) << " stderr: " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << ::testing::PrintToString(c.args);
  }
  const std::string after = Run({"list", "-o", "csv"}).out;
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), jobs_before);
}

// Issue 22's rough edges, as Slurm users expect them: several ids for status
// and cancel (each done even when another fails), days in --since, `active`
// as in the HTTP API, and a missing option said like every usage error.
TEST_F(CliTest, SeveralIdsDaysAndActiveWorkAsInTheApi) {
  const std::string done = SubmitSmall();
  ASSERT_EQ(Run({"watch", done}).code, 0);
  CliResult big = Run({"submit", "--n", "1P", "--chunks", "4"});
  ASSERT_EQ(big.code, 0) << big.err;
  const std::string big_id = big.out.substr(0, big.out.find('\n'));
  const CliResult active = Run({"list", "--state", "active", "--since", "7d", "-o", "csv"});
  EXPECT_EQ(active.code, 0) << active.err;
  EXPECT_THAT(active.out, HasSubstr("\n" + big_id + ","));
  EXPECT_THAT(active.out, Not(HasSubstr("\n" + done + ",")));
  const CliResult status = Run({"status", done, big_id, "-o", "csv"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("\n" + done + ","));
  EXPECT_THAT(status.out, HasSubstr("\n" + big_id + ","));
  const CliResult cancel = Run({"cancel", "987654", big_id});
  EXPECT_EQ(cancel.code, 3) << "the unknown id's failure";
  EXPECT_THAT(cancel.err, HasSubstr("job 987654 not found"));
  EXPECT_THAT(cancel.out, HasSubstr("job " + big_id + ": cancelled")) << "done despite it";
  EXPECT_EQ(Run({"cancel", big_id, "x"}).code, 2) << "a bad id: nothing is done";
  const CliResult missing = Run({"submit"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("tminus: --n is required"));
}

TEST_F(CliTest, UnknownJobIsNotFoundWithExitThree) {
  for (const char* command : {"status", "report", "cancel", "watch"}) {
    CliResult r = Run({command, "987654"});
    EXPECT_EQ(r.code, 3) << command;
    EXPECT_THAT(r.err, HasSubstr("job 987654 not found")) << command;
  }
}

TEST_F(CliTest, CoordinatorNotThereIsExitThreeWithAClearMessage) {
  const auto start = std::chrono::steady_clock::now();
  CliResult r = Run({"list"}, "127.0.0.1:1");  // nothing listens on port 1
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("coordinator 127.0.0.1:1 is unreachable"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST_F(CliTest, ScaleRunsEachPointAndWritesCsvJsonAndSvg) {
  const std::string out = absl::StrCat(::testing::TempDir(), "scale-", getpid());
  CliResult r = Run({"scale", "--n", "2e8", "--chunks", "16", "--slots", "1,2", "--executor",
                     "both", "--repeat", "1", "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("KARP-FLATT"));
  EXPECT_THAT(r.out, HasSubstr("bare kernel"));
  const std::string csv = ReadFile(out + "/scale.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
  EXPECT_THAT(ReadFile(out + "/scale.json"), HasSubstr("\"executor\": \"processes\""));
  EXPECT_THAT(ReadFile(out + "/scale.svg"), HasSubstr(">processes</text>"));
  // The study's jobs (its points and calibrations) stay out of `list` but
  // for --all.
  const CliResult list = Run({"list", "--limit", "1000", "-o", "csv"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, Not(HasSubstr("scale-")));
  const CliResult all = Run({"list", "--all", "-o", "csv"});
  EXPECT_THAT(all.out, HasSubstr(",scale-calibration,"));
  EXPECT_THAT(all.out, HasSubstr(",scale-threads-2,"));
  EXPECT_EQ(Run({"scale", "--n", "100", "--chunks", "5", "--slots", "1,x"}).code, 2);
  EXPECT_EQ(Run({"scale", "--n", "100", "--chunks", "5", "--executor", "gpu"}).code, 2);
}

TEST_F(CliTest, DemoLeavesItsPlotAndTheClustersLogsBehind) {
  const std::string out = absl::StrCat(::testing::TempDir(), "demo-", getpid());
  const CliResult r = RunExactly({"demo", "--n", "4e7", "--chunks", "8", "--slots", "2",
                                  "--repeat", "1", "--out", out});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("while the demo runs (--keep leaves it up after)"));
  EXPECT_THAT(r.out, HasSubstr("its logs are in " + out + "/cluster"));
  EXPECT_THAT(ReadFile(out + "/scale.svg"), HasSubstr("</svg>"));
  EXPECT_TRUE(std::filesystem::exists(out + "/cluster/coordinator.log"))
      << "the logs outlast the demo";
  // A cluster/ folder that no demo made is the user's: refused, left alone.
  const std::string mine = absl::StrCat(::testing::TempDir(), "demo-mine-", getpid());
  std::filesystem::create_directories(mine + "/cluster");
  std::ofstream(mine + "/cluster/notes.txt") << "keep me";
  const CliResult refused = RunExactly({"demo", "--n", "4e7", "--chunks", "8", "--out", mine});
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, HasSubstr("is not an earlier demo's; choose another --out"));
  EXPECT_EQ(ReadFile(mine + "/cluster/notes.txt"), "keep me");
  std::error_code ignored;
  std::filesystem::remove_all(out, ignored);
  std::filesystem::remove_all(mine, ignored);
}

TEST_F(CliTest, GlobalFlagsWorkAfterTheSubcommand) {
  CliResult r = RunExactly({"list", "-o", "csv", "-c", cluster_->address()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("job_id,name,state"));
  // An address without a port means 7070 (nothing listens there: exit 3).
  CliResult no_port = RunExactly({"workers", "--coordinator", "127.0.0.1"});
  EXPECT_EQ(no_port.code, 3);
  EXPECT_THAT(no_port.err, HasSubstr("127.0.0.1:7070"));
}

TEST_F(CliTest, SubmitWithoutChunkingPicksADefaultSaysSoAndStaysExact) {
  CliResult r = Run({"submit", "--n", "3e8", "--wait", "-o", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("chunking: "));
  EXPECT_THAT(r.err, HasSubstr("at least 4 per slot over 2 connected slots"));
  EXPECT_THAT(r.out, HasSubstr(",succeeded,300000000,300000000,true,"));
}

TEST_F(CliTest, CsvHoldsRawNumbersAndJsonPrintsZeros) {
  const std::string id = SubmitSmall();
  ASSERT_EQ(Run({"watch", id}).code, 0);
  const std::string list = Run({"list", "-o", "csv"}).out;
  EXPECT_THAT(list, HasSubstr("chunks_done,chunk_total,priority,elapsed_seconds"));
  EXPECT_THAT(list, Not(HasSubstr(" ms")));
  EXPECT_THAT(list, Not(HasSubstr("8/8")));
  const std::string report = Run({"report", id, "-o", "csv"}).out;
  EXPECT_THAT(report, HasSubstr("wall_seconds"));
  EXPECT_THAT(Run({"status", id, "-o", "json"}).out, HasSubstr("\"priority\": 0"));
  const std::string workers = Run({"workers", "-o", "csv"}).out;
  EXPECT_THAT(workers, HasSubstr("worker_id,host,state,slots"));
  EXPECT_THAT(workers, Not(HasSubstr(" ms")));
}

TEST_F(CliTest, SubmitAndWatchSpeakJsonAndCsvToo) {
  CliResult submitted = Run({"submit", "--n", "2e8", "--chunks", "4", "-o", "json"});
  ASSERT_EQ(submitted.code, 0) << submitted.err;
  EXPECT_THAT(submitted.out, HasSubstr("\"job\": {"));
  const std::string json = submitted.out;
  const size_t at = json.find("\"id\": \"") + 7;
  const std::string id = json.substr(at, json.find('"', at) - at);
  CliResult lines = Run({"watch", id, "-o", "json", "--interval-ms", "50"});
  ASSERT_EQ(lines.code, 0) << lines.err;
  EXPECT_EQ(lines.out.front(), '{');
  EXPECT_THAT(lines.out, HasSubstr("\"state\":\"JOB_STATE_SUCCEEDED\""));
  for (size_t line = 0; line < lines.out.size();) {  // one object a line
    const size_t end = lines.out.find('\n', line);
    EXPECT_EQ(lines.out[end - 1], '}');
    line = end + 1;
  }
  CliResult csv = Run({"watch", id, "-o", "csv"});
  EXPECT_THAT(csv.out, HasSubstr("job_id,state,chunks_done,chunk_total"));
  EXPECT_EQ(Run({"watch", id, "--interval-ms", "5"}).code, 2);  // below the range in --help
}

TEST_F(CliTest, ScaleKeepsAnEarlierStudyUnlessForced) {
  const std::string out = absl::StrCat(::testing::TempDir(), "scale-keep-", getpid());
  const std::vector<std::string> args = {"scale", "--n", "1e8", "--chunks", "4", "--slots", "1",
                                         "--repeat", "1", "--no-calibration", "--out", out};
  ASSERT_EQ(Run(args).code, 0);
  CliResult again = Run(args);
  EXPECT_EQ(again.code, 2);
  EXPECT_THAT(again.err, HasSubstr("already holds a study"));
  std::vector<std::string> forced = args;
  forced.push_back("--force");
  forced.insert(forced.end(), {"-o", "csv"});
  CliResult redone = Run(forced);
  EXPECT_EQ(redone.code, 0) << redone.err;
  EXPECT_THAT(redone.out, HasSubstr("wall_median_seconds"));  // the data on stdout
}

TEST_F(CliTest, CtrlCOnWaitSaysTheJobGoesOnAndHowToCancelIt) {
  const std::string base = absl::StrCat(::testing::TempDir(), "cli-interrupt-", getpid());
  auto process = Subprocess::Start(
      {std::string(TMINUS_BIN_DIR) + "/tminus", "--coordinator", cluster_->address(), "submit",
       "--n", "1P", "--chunks", "8", "--wait"},
      base + ".out", base + ".err");
  ASSERT_TRUE(process.ok());
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(base + ".err").find("submitted job") != std::string::npos; },
      std::chrono::seconds(20), "\"submitted job\" in " + base + ".err",
      std::chrono::milliseconds(50)));
  kill(process->pid(), SIGINT);
  std::optional<int> status = process->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ExitCodeOf(*status), 130);
  const std::string err = ReadFile(base + ".err");
  EXPECT_THAT(err, HasSubstr("the job goes on"));
  const size_t at = err.find("submitted job ") + 14;
  const std::string id = err.substr(at, err.find('\n', at) - at);
  EXPECT_THAT(err, HasSubstr("`tminus cancel " + id + "` stops it"));
  EXPECT_EQ(Run({"cancel", id}).code, 0);
}

TEST_F(CliTest, DrainAndUndrainAWorkerByName) {
  CliResult drained = Run({"drain", "cli-worker", "-o", "csv"});
  ASSERT_EQ(drained.code, 0) << drained.err;
  EXPECT_THAT(drained.out, HasSubstr("cli-worker,"));
  EXPECT_THAT(drained.out, HasSubstr(",drained,"));
  const std::string id = SubmitSmall();
  EXPECT_THAT(Run({"status", id}).out, HasSubstr("every connected worker is draining or drained"));
  ASSERT_EQ(Run({"undrain", "cli-worker"}).code, 0);
  CliResult report = Run({"watch", id});
  EXPECT_EQ(report.code, 0) << report.err;
  EXPECT_EQ(Run({"drain", "no-such-worker"}).code, 3);
}

TEST_F(CliTest, HostileStringsAreEscapedAndCutBeforeTheTerminal) {
  // A name that reads backwards (U+202E) is shown escaped, not obeyed.
  const std::string id = SubmitSmall({"--name", "report\xe2\x80\xae" "fdp.exe"});
  CliResult listed = Run({"list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("report\\u202efdp.exe"));
  EXPECT_THAT(listed.out, Not(HasSubstr("\xe2\x80\xae")));
  // A 20,000-character name to drain: a short error naming the limit,
  // not a reply too large for its own header.
  CliResult drain = Run({"drain", std::string(20'000, 'w')});
  EXPECT_EQ(drain.code, 2) << drain.err;
  EXPECT_THAT(drain.err, HasSubstr("worker_id"));
  EXPECT_THAT(drain.err, Not(HasSubstr("metadata")));
  EXPECT_LT(drain.err.size(), 1'000u) << drain.err;
  ASSERT_EQ(Run({"watch", id}).code, 0);
}

TEST_F(CliTest, HelpExplainsAndExitsZero) {
  CliResult r = Run({"submit", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("--chunk-size"));
  EXPECT_THAT(Run({"--help"}).out, HasSubstr("Exit codes"));
}

// The real coordinator binary serves health (for probes) and reflection (for
// grpcurl-style tools), besides its own services.
TEST_F(CliTest, CoordinatorServesHealthAndReflection) {
  auto channel = MakeChannel(cluster_->address());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext health_context;
  SetDeadline(&health_context);
  grpc::health::v1::HealthCheckResponse health_response;
  ASSERT_TRUE(health->Check(&health_context, {}, &health_response).ok());
  EXPECT_EQ(health_response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services, ::testing::IsSupersetOf({"tminus.v1.JobService", "tminus.v1.WorkerService",
                                                 "grpc.health.v1.Health"}));
  while (stream->Read(&response)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace tminus
