// The real binaries as processes: a worker killed mid-job, a coordinator
// restarted while workers wait, a clean SIGTERM of everything.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "cli/local_cluster.h"
#include "common/subprocess.h"
#include "tests/integration/test_server.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/wait.h"

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
    // Kill the victim once it has work in hand (the first time round: it
    // stays dead after, and the next job runs on the survivor alone).
    if (cluster->workers()[0].running()) {
      ASSERT_TRUE(WaitFor(
          [&] {
            auto workers = client.Workers();
            if (!workers.ok()) return false;
            for (const auto& w : workers->workers()) {
              if (w.worker_id() == "victim" && w.chunks_running() > 0) return true;
            }
            return false;
          },
          std::chrono::seconds(20), "the victim to run a chunk"));
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

int64_t ChunksDone(JobClient& client, uint64_t job) {
  auto status = client.Get(job);
  return status.ok() ? status->chunks_done() : -1;
}

TEST(ClusterTest, CoordinatorKilledMidJobComesBackWithItsJobs) {
  auto cluster = StartCluster("crash");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w1", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  JobClient client(cluster->address());
  auto finished = client.Submit(Job(100'000'000, 4, v1::EXECUTOR_THREADS));
  TMINUS_ASSERT_OK(finished);
  auto finished_report = WaitForEnd(client, finished->id());
  TMINUS_ASSERT_OK(finished_report);
  auto job = client.Submit(Job(6'000'000'000, 120, v1::EXECUTOR_THREADS));
  TMINUS_ASSERT_OK(job);
  ASSERT_TRUE(WaitFor([&] { return ChunksDone(client, job->id()) >= 20; },
                      std::chrono::seconds(60), "20 chunks of the job done"));
  const int64_t durable_by_now = ChunksDone(client, job->id());
  // A cancel is answered only once a commit has saved everything so far, so
  // the progress read above is durable; the job it names is over already, so
  // it changes nothing.
  TMINUS_ASSERT_OK(client.Cancel(finished->id()));
  TMINUS_ASSERT_OK(cluster->RestartCoordinator());  // kill -9, same state dir
  // Every accepted job is back, with its progress; the finished one keeps its report.
  int64_t done_after = -1;
  ASSERT_TRUE(WaitFor(  // the client reconnects with backoff
      [&] {
        done_after = ChunksDone(client, job->id());
        return done_after >= 0;
      },
      std::chrono::seconds(20), "the restarted coordinator to answer",
      std::chrono::milliseconds(50)));
  EXPECT_GE(done_after, durable_by_now);
  auto after = client.Report(finished->id());
  TMINUS_ASSERT_OK(after);
  EXPECT_EQ(after->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(after->wall_ns(), finished_report->wall_ns());
  EXPECT_EQ(after->busy_ns(), finished_report->busy_ns());
  // The worker reconnects by itself and the job runs to the end, exactly.
  auto report = WaitForEnd(client, job->id());
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
}

TEST(ClusterTest, CorruptStateFileStopsTheCoordinatorWithAClearError) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "tminus-corrupt-", getpid());
  ASSERT_EQ(std::system(absl::StrCat("mkdir -p ", dir, " && head -c 8192 /dev/urandom > ", dir,
                                     "/tminus.db").c_str()), 0);
  const std::string log = dir + "/coordinator.log";
  auto coordinator = Subprocess::Start({std::string(TMINUS_BIN_DIR) + "/tminus-coordinator",
                                        "--listen", "127.0.0.1:0", "--state-dir", dir}, log);
  TMINUS_ASSERT_OK(coordinator);
  const std::optional<int> status = coordinator->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ExitCodeOf(*status), 1);
  const std::string text = ReadFile(log);
  EXPECT_NE(text.find("tminus.db"), std::string::npos) << text;
  EXPECT_NE(text.find("DATA_LOSS"), std::string::npos) << text;
}

TEST(ClusterTest, SigtermedWorkerDrainsWithNoRetries) {
  auto cluster = StartCluster("drain");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("leaving", 2, {"--drain-timeout", "20"}).ok());
  ASSERT_TRUE(cluster->AddWorker("staying", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(2, std::chrono::seconds(20)));
  JobClient client(cluster->address());
  auto job = client.Submit(Job(4'000'000'000, 80, v1::EXECUTOR_PROCESSES));
  TMINUS_ASSERT_OK(job);
  ASSERT_TRUE(WaitFor([&] { return ChunksDone(client, job->id()) >= 10; },
                      std::chrono::seconds(60), "10 chunks of the job done"));
  ASSERT_TRUE(cluster->workers()[0].Signal(SIGTERM));
  auto exited = cluster->workers()[0].Wait(std::chrono::seconds(30));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(ExitCodeOf(*exited), 0);
  auto report = WaitForEnd(client, job->id());
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  EXPECT_EQ(report->counters().retries(), 0);
  EXPECT_EQ(report->counters().failed_attempts(), 0);
  auto workers = client.Workers();
  TMINUS_ASSERT_OK(workers);
  for (const auto& w : workers->workers()) {
    if (w.worker_id() == "leaving") {
      EXPECT_EQ(w.drains(), 1);
      EXPECT_EQ(w.leases_lost(), 0);
    }
  }
}

TEST(ClusterTest, SigtermStopsEveryProcessWithExitZero) {
  auto cluster = StartCluster("sigterm");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w1", 1, {"--drain-timeout", "1"}).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  {
    JobClient client(cluster->address());
    auto job = client.Submit(Job(int64_t{1} << 40, 2, v1::EXECUTOR_PROCESSES));
    TMINUS_ASSERT_OK(job);
    // Stopped while a chunk runs.
    ASSERT_TRUE(WaitFor(
        [&] {
          auto view = client.Get(job->id());
          return view.ok() && view->chunks_running() > 0;
        },
        std::chrono::seconds(20), "a chunk to run"));
  }
  EXPECT_TRUE(cluster->Stop(std::chrono::seconds(10)));
}

}  // namespace
}  // namespace tminus::testing
