// Strings from the outside against the real coordinator's log (issue 19):
// a refused Hello's fields are escaped and cut, so no peer can split a log
// line, forge one, recolour a terminal that tails it, or make it huge.
#include <gtest/gtest.h>
#include <unistd.h>


#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/local_cluster.h"
#include "common/rpc.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus::testing {
namespace {

// Says Hello with these fields; the stream's final status.
absl::Status Hello(const std::string& address, const std::string& worker_id,
                   const std::string& host) {
  auto stub = v1::WorkerService::NewStub(MakeChannel(address));
  grpc::ClientContext context;
  SetDeadline(&context, std::chrono::seconds(10));
  auto stream = stub->Session(&context);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(worker_id);
  hello.mutable_hello()->set_incarnation(7);
  hello.mutable_hello()->set_host(host);
  hello.mutable_hello()->set_slots(1);
  hello.mutable_hello()->add_executors(v1::EXECUTOR_THREADS);
  stream->Write(hello);
  stream->WritesDone();
  v1::CoordinatorMessage reply;
  while (stream->Read(&reply)) {
  }
  return FromGrpcStatus(stream->Finish());
}

TEST(HostileInputTest, RefusedHelloFieldsCannotSplitForgeOrSwellALogLine) {
  LocalClusterOptions options;
  options.bin_dir = TMINUS_BIN_DIR;
  options.work_dir = absl::StrCat(::testing::TempDir(), "tminus-hostile-", getpid());
  options.log_level = "info";
  auto cluster = LocalCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string address = (*cluster)->address();
  const std::vector<std::pair<std::string, std::string>> hellos = {
      {"a\nforged 2026-12-03T00:00:00.000 I [coordinator] worker=admin joined", "h"},
      {"w\x1b[2J\x1b[31m", "h"},
      {"w", std::string(1 << 20, 'h')},
      {"w", "h\xe2\x80\xae" "dlrow"},
  };
  for (const auto& [worker_id, host] : hellos) {
    EXPECT_THAT(Hello(address, worker_id, host), StatusIs(absl::StatusCode::kInvalidArgument));
  }
  TMINUS_EXPECT_OK(JobClient(address).List(1, "").status());  // it serves on
  const std::string log = ReadFile(options.work_dir + "/coordinator.log");
  int refusals = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    EXPECT_FALSE(absl::StartsWith(line, "forged")) << line;
    EXPECT_LT(line.size(), 4'096u) << line.substr(0, 200);
    EXPECT_EQ(line.find('\x1b'), absl::string_view::npos) << line;
    EXPECT_EQ(line.find("\xe2\x80\xae"), absl::string_view::npos) << line;
    if (line.find("refused") != absl::string_view::npos) ++refusals;
  }
  EXPECT_GE(refusals, 4) << log.substr(0, 2000);
}

}  // namespace
}  // namespace tminus::testing
