// JobService and WorkerService against a real server on 127.0.0.1:0.
#include <gtest/gtest.h>

#include <grpcpp/health_check_service_interface.h>

#include "common/rpc.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/wait.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus::testing {
namespace {

constexpr int64_t kSmallN = 200'000'000;  // ~0.1 s of work

TEST(ServiceTest, ThreadsExecutorRunsAJobExactly) {
  TestCluster cluster;
  cluster.AddWorker("w1", 2);
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  auto report = cluster.RunJob(kSmallN + 7, 13, v1::EXECUTOR_THREADS);
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  EXPECT_EQ(report->slots_used(), 2);
  EXPECT_GT(report->busy_ns(), 0);
  EXPECT_EQ(report->chunk_durations().count(), 13);
}

TEST(ServiceTest, ProcessesExecutorRunsAJobExactly) {
  TestCluster cluster;
  cluster.AddWorker("w1", 2);
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  auto report = cluster.RunJob(kSmallN, 20, v1::EXECUTOR_PROCESSES);
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  EXPECT_GT(report->cpu_ns(), 0);
}

TEST(ServiceTest, TwoWorkersWithDifferentSlotCountsBothContribute) {
  TestCluster cluster;
  cluster.AddWorker("one-slot", 1);
  cluster.AddWorker("three-slots", 3);
  ASSERT_TRUE(cluster.WaitForWorkers(2));
  auto report = cluster.RunJob(4 * kSmallN, 200, v1::EXECUTOR_THREADS);
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  ASSERT_EQ(report->workers_size(), 2);
  for (const auto& worker : report->workers()) EXPECT_GT(worker.chunks(), 0) << worker.worker_id();
  EXPECT_EQ(report->slots_used(), 4);
}

TEST(ServiceTest, CancelMidJobInterruptsRunningChunks) {
  TestCluster cluster;
  cluster.AddWorker("w1", 2);
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    v1::SubmitJobRequest request;
    request.mutable_spec()->set_n(int64_t{1} << 50);  // days of work
    request.mutable_spec()->set_chunk_count(4);
    request.mutable_spec()->set_executor(executor);
    auto job = cluster.client().Submit(request);
    TMINUS_ASSERT_OK(job);
    ASSERT_TRUE(WaitFor(
        [&] {
          auto view = cluster.client().Get(job->id());
          return view.ok() && view->chunks_running() > 0;
        },
        std::chrono::seconds(20), "a chunk to run"));
    auto cancelled = cluster.client().Cancel(job->id());
    TMINUS_ASSERT_OK(cancelled);
    EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
    // The slots come free: a small job right after runs to the end.
    auto next = cluster.RunJob(kSmallN, 4, executor);
    TMINUS_ASSERT_OK(next);
    ExpectExact(*next);
  }
}

TEST(ServiceTest, WatchStreamsUntilTheJobEnds) {
  TestCluster cluster;
  cluster.AddWorker("w1", 2);
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(4 * kSmallN);
  request.mutable_spec()->set_chunk_count(40);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  auto job = cluster.client().Submit(request);
  TMINUS_ASSERT_OK(job);
  int snapshots = 0;
  int64_t last_done = -1;
  auto last = cluster.client().Watch(job->id(), 50, [&](const v1::WatchJobResponse& s) {
    ++snapshots;
    EXPECT_GE(s.job().decrements_done(), last_done);  // progress never goes back
    last_done = s.job().decrements_done();
  });
  TMINUS_ASSERT_OK(last);
  EXPECT_EQ(last->job().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_GE(snapshots, 2);
}

// The report's wall time must agree with a stopwatch around the job on the
// client: never longer, and shorter only by the submit and notify latency.
TEST(ServiceTest, ReportedWallAgreesWithAnOutsideStopwatch) {
  TestCluster cluster;
  cluster.AddWorker("w1", 2);
  ASSERT_TRUE(cluster.WaitForWorkers(1));
  const auto start = std::chrono::steady_clock::now();
  auto report = cluster.RunJob(10 * kSmallN, 40, v1::EXECUTOR_THREADS);
  const double stopwatch_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  const double wall_s = static_cast<double>(report->wall_ns()) * 1e-9;
  EXPECT_LE(wall_s, stopwatch_s);
  EXPECT_GE(wall_s, 0.97 * stopwatch_s - 0.05) << "stopwatch " << stopwatch_s;
}

TEST(ServiceTest, ServerValidatesEveryRequestItself) {
  TestCluster cluster;
  auto stub = v1::JobService::NewStub(MakeChannel(cluster.address()));
  auto submit = [&](const v1::JobSpec& spec) {
    grpc::ClientContext context;
    SetDeadline(&context);
    v1::SubmitJobRequest request;
    *request.mutable_spec() = spec;
    v1::SubmitJobResponse response;
    return FromGrpcStatus(stub->SubmitJob(&context, request, &response));
  };
  v1::JobSpec spec;
  spec.set_n(100);
  spec.set_chunk_count(10);
  spec.set_executor(v1::EXECUTOR_THREADS);
  v1::JobSpec bad = spec;
  bad.set_n(0);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "n:"));
  bad = spec;
  bad.set_n(-5);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "n:"));
  bad = spec;
  bad.set_chunk_count(0);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "chunk_count"));
  bad = spec;
  bad.set_chunk_count(101);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "chunk_count"));
  bad = spec;
  bad.set_chunk_size(0);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "chunk_size"));
  bad = spec;
  bad.clear_chunk_count();
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "chunking"));
  bad = spec;
  bad.set_executor(v1::EXECUTOR_UNSPECIFIED);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "executor"));
  bad = spec;
  bad.set_executor(static_cast<v1::Executor>(42));
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "executor"));
  bad = spec;
  bad.set_priority(-1);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "priority"));
  bad = spec;
  bad.set_max_slots(-1);
  EXPECT_THAT(submit(bad), StatusIs(absl::StatusCode::kInvalidArgument, "max_slots"));
  {
    grpc::ClientContext context;
    v1::SubmitJobResponse response;
    EXPECT_THAT(FromGrpcStatus(stub->SubmitJob(&context, v1::SubmitJobRequest(), &response)),
                StatusIs(absl::StatusCode::kInvalidArgument, "spec"));
  }
  EXPECT_THAT(cluster.client().Get(77), StatusIs(absl::StatusCode::kNotFound, "job 77"));
  EXPECT_THAT(cluster.client().Report(77), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cluster.client().Cancel(77), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cluster.client().Watch(77, 0, [](const auto&) {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(cluster.client().List(5000, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "page_size"));
  EXPECT_THAT(cluster.client().List(10, "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, "page_token"));
  // Nothing was created by any of it.
  EXPECT_EQ(cluster.client().List(10, "")->jobs_size(), 0);
}

TEST(ServiceTest, SameRequestIdNeverCreatesTwoJobs) {
  TestCluster cluster;
  v1::SubmitJobRequest request;
  request.set_request_id("retry-me");
  request.mutable_spec()->set_n(10);
  request.mutable_spec()->set_chunk_count(1);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  auto first = cluster.client().Submit(request);
  auto second = cluster.client().Submit(request);
  TMINUS_ASSERT_OK(first);
  TMINUS_ASSERT_OK(second);
  EXPECT_EQ(first->id(), second->id());
  EXPECT_EQ(cluster.client().List(10, "")->jobs_size(), 1);
}

TEST(ServiceTest, HealthServesAndSessionMustStartWithHello) {
  TestCluster cluster;
  auto channel = MakeChannel(cluster.address());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto workers = v1::WorkerService::NewStub(channel);
  grpc::ClientContext session_context;
  SetDeadline(&session_context);
  auto stream = workers->Session(&session_context);
  v1::WorkerMessage credit;
  credit.mutable_credit()->set_credits(1);
  stream->Write(credit);
  v1::CoordinatorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_THAT(FromGrpcStatus(stream->Finish()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Hello"));
}

TEST(ServiceTest, BadHelloEndsTheSessionWithInvalidArgument) {
  TestCluster cluster;
  auto workers = v1::WorkerService::NewStub(MakeChannel(cluster.address()));
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = workers->Session(&context);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id("w");
  hello.mutable_hello()->set_incarnation(1);
  hello.mutable_hello()->set_host("test-host");
  hello.mutable_hello()->set_slots(0);
  hello.mutable_hello()->add_executors(v1::EXECUTOR_THREADS);
  stream->Write(hello);
  v1::CoordinatorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_THAT(FromGrpcStatus(stream->Finish()),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.slots"));
}

}  // namespace
}  // namespace tminus::testing
