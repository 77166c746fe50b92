// The real binaries as processes: a worker killed mid-job, a coordinator
// restarted while workers wait, a clean SIGTERM of everything.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cli/local_cluster.h"
#include "tests/integration/test_server.h"
#include "tests/testing/status_matchers.h"

namespace tminus::testing {
namespace {

std::unique_ptr<LocalCluster> StartCluster(const std::string& test) {
  LocalClusterOptions options;
  options.bin_dir = TMINUS_BIN_DIR;
  options.work_dir = absl::StrCat(::testing::TempDir(), "tminus-", test, "-", getpid());
  options.log_level = "info";
  auto cluster = LocalCluster::Start(options);
  EXPECT_TRUE(cluster.ok()) << cluster.status().ToString();
  return cluster.ok() ? std::move(*cluster) : nullptr;
}

v1::SubmitJobRequest Job(int64_t n, int64_t chunks, v1::Executor executor) {
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(n);
  request.mutable_spec()->set_chunk_count(chunks);
  request.mutable_spec()->set_executor(executor);
  return request;
}

absl::StatusOr<v1::JobReport> WaitForEnd(JobClient& client, uint64_t job) {
  auto last = client.Watch(job, 100, [](const auto&) {});
  if (!last.ok()) return last.status();
  return client.Report(job);
}

TEST(ClusterTest, WorkerKilledMidJobAnotherFinishesExactly) {
  auto cluster = StartCluster("kill-worker");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("victim", 2).ok());
  ASSERT_TRUE(cluster->AddWorker("survivor", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(2, std::chrono::seconds(20)));
  JobClient client(cluster->address());
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    auto job = client.Submit(Job(3'000'000'000, 60, executor));
    TMINUS_ASSERT_OK(job);
    // Kill the victim once it has work in hand.
    for (int i = 0; i < 2'000; ++i) {
      auto workers = client.Workers();
      bool busy = false;
      for (const auto& w : workers->workers()) {
        busy |= w.worker_id() == "victim" && w.chunks_running() > 0;
      }
      if (busy) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (cluster->workers()[0].running()) {
      ASSERT_TRUE(cluster->workers()[0].Signal(SIGKILL));
      cluster->workers()[0].Wait(std::chrono::seconds(10));
    }
    auto report = WaitForEnd(client, job->id());
    TMINUS_ASSERT_OK(report);
    ExpectExact(*report);
  }
}

TEST(ClusterTest, WorkersReconnectAfterACoordinatorRestart) {
  auto cluster = StartCluster("restart");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w1", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  TMINUS_ASSERT_OK(cluster->RestartCoordinator());
  // The worker finds the new coordinator by itself, with backoff.
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  JobClient client(cluster->address());
  auto job = client.Submit(Job(500'000'000, 10, v1::EXECUTOR_THREADS));
  TMINUS_ASSERT_OK(job);
  auto report = WaitForEnd(client, job->id());
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
}

TEST(ClusterTest, SigtermStopsEveryProcessWithExitZero) {
  auto cluster = StartCluster("sigterm");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w1", 1, {"--drain-timeout", "1"}).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  {
    JobClient client(cluster->address());
    TMINUS_ASSERT_OK(client.Submit(Job(int64_t{1} << 40, 2, v1::EXECUTOR_PROCESSES)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(cluster->Stop(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace tminus::testing
