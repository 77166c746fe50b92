// The coordinator's state dir on a full disk (a 1 MB tmpfs, so root only):
// a submit that cannot be saved is refused at once naming the store, nothing
// unsaved runs, readiness says NOT_SERVING, and when space comes back commits
// resume by themselves, with every accepted job and no id handed out twice.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/client.h"
#include "cli/local_cluster.h"
#include "common/rpc.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using HealthStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;
using ::tminus::testing::WaitFor;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "tminus-diskfull-", getpid());
    state_ = dir_ + "/state";
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + state_).c_str()), 0);
    if (mount("tmpfs", state_.c_str(), "tmpfs", 0, "size=1m") != 0) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << "cannot mount a tmpfs";
      GTEST_SKIP() << "needs root to mount a small tmpfs";
    }
    mounted_ = true;
    LocalClusterOptions options;
    options.bin_dir = TMINUS_BIN_DIR;
    options.work_dir = dir_;
    options.log_level = "info";
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->AddWorker("w", 2).ok());
    ASSERT_TRUE(cluster_->WaitForWorkers(1, std::chrono::seconds(20)).ok());
  }
  void TearDown() override {
    cluster_.reset();  // every process it started, before the mount goes
    if (mounted_) umount2(state_.c_str(), MNT_DETACH);
  }

  // Fills the state dir's file system to the last byte.
  void FillTheDisk() {
    std::ofstream filler(state_ + "/filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }

  HealthStatus Readiness() {
    auto stub = grpc::health::v1::Health::NewStub(MakeChannel(cluster_->address()));
    grpc::ClientContext context;
    SetDeadline(&context, std::chrono::seconds(2));
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, {}, &response).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    return response.status();
  }

  v1::SubmitJobRequest Job() {
    v1::SubmitJobRequest request;
    request.mutable_spec()->set_n(10'000'000);
    request.mutable_spec()->set_chunk_count(10);
    request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
    return request;
  }

  void ExpectAllExact(JobClient& client, const std::set<uint64_t>& ids) {
    for (uint64_t id : ids) {
      absl::StatusOr<v1::WatchJobResponse> last;
      ASSERT_TRUE(WaitFor(  // through the restart
          [&] {
            last = client.Watch(id, 100, [](const auto&) {});
            return last.ok();
          },
          std::chrono::seconds(30), absl::StrCat("a watch of job ", id, " to see its end"),
          std::chrono::milliseconds(100)))
          << last.status();
      auto report = client.Report(id);
      ASSERT_TRUE(report.ok());
      EXPECT_EQ(report->state(), v1::JOB_STATE_SUCCEEDED) << id;
      EXPECT_EQ(report->decrements(), report->n()) << id;
    }
  }

  std::string dir_;
  std::string state_;
  bool mounted_ = false;
  std::unique_ptr<LocalCluster> cluster_;
};

TEST_F(DiskFullTest, ASubmitThatCannotBeSavedIsRefusedAndCommitsResumeWithSpace) {
  JobClient client(cluster_->address(), std::chrono::seconds(10));
  std::set<uint64_t> accepted;
  for (int i = 0; i < 3; ++i) accepted.insert(client.Submit(Job())->id());
  ExpectAllExact(client, accepted);

  FillTheDisk();
  absl::Status refused;
  for (int i = 0; i < 500 && refused.ok(); ++i) {
    const auto started = std::chrono::steady_clock::now();
    absl::StatusOr<v1::Job> job = client.Submit(Job());
    if (job.ok()) {
      accepted.insert(job->id());
      continue;
    }
    refused = job.status();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));  // at once
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_NE(refused.message().find("state store: no space left on device"), std::string::npos)
      << refused;
  // Nothing unsaved exists, let alone runs: the coordinator lists only what it accepted.
  auto listed = client.List(1'000, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->jobs_size(), static_cast<int>(accepted.size()));
  EXPECT_TRUE(WaitFor(  // readiness is sampled
      [&] { return Readiness() == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
      std::chrono::seconds(10), "readiness NOT_SERVING", std::chrono::milliseconds(100)));

  ASSERT_EQ(unlink((state_ + "/filler").c_str()), 0);  // space again
  absl::StatusOr<v1::Job> after;
  ASSERT_TRUE(WaitFor(
      [&] {
        after = client.Submit(Job());
        return after.ok();
      },
      std::chrono::seconds(30), "a submit to be saved again", std::chrono::milliseconds(100)))
      << after.status();
  EXPECT_GT(after->id(), *accepted.rbegin());
  accepted.insert(after->id());
  EXPECT_TRUE(WaitFor(
      [&] { return Readiness() == grpc::health::v1::HealthCheckResponse::SERVING; },
      std::chrono::seconds(10), "readiness SERVING again", std::chrono::milliseconds(100)));
  ExpectAllExact(client, accepted);

  // After a kill -9: every accepted job is back, and ids go on past all of them.
  ASSERT_TRUE(cluster_->RestartCoordinator().ok());
  ExpectAllExact(client, accepted);
  absl::StatusOr<v1::Job> fresh;
  ASSERT_TRUE(WaitFor(
      [&] {
        fresh = client.Submit(Job());
        return fresh.ok();
      },
      std::chrono::seconds(30), "a submit to the restarted coordinator",
      std::chrono::milliseconds(100)))
      << fresh.status();
  EXPECT_GT(fresh->id(), *accepted.rbegin());
}

}  // namespace
}  // namespace tminus
