#include "tests/integration/test_server.h"

#include <gtest/gtest.h>

#include "tests/testing/wait.h"

namespace tminus::testing {

InProcessWorker::InProcessWorker(const std::string& coordinator, const std::string& name,
                                 int slots) {
  WorkerOptions options;
  options.coordinator = coordinator;
  options.worker_id = name;
  options.slots = slots;
  options.child_binary = std::string(TMINUS_BIN_DIR) + "/tminus-worker";
  options.kill_grace = std::chrono::milliseconds(500);
  client_ = std::make_unique<SessionClient>(options);
  thread_ = std::thread([this] { client_->Run(); });
}

InProcessWorker::~InProcessWorker() {
  client_->Stop();
  thread_.join();
}

TestCluster::TestCluster(SchedulerOptions options) {
  ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.scheduler = options;
  auto server = CoordinatorServer::Start(server_options);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(*server);
  address_ = server_->address();
  client_ = std::make_unique<JobClient>(address_, std::chrono::seconds(10));
}

TestCluster::~TestCluster() {
  workers_.clear();  // workers first, so they do not spin reconnecting
  server_->Shutdown(std::chrono::milliseconds(500));
}

InProcessWorker& TestCluster::AddWorker(const std::string& name, int slots) {
  workers_.push_back(std::make_unique<InProcessWorker>(address_, name, slots));
  return *workers_.back();
}

::testing::AssertionResult TestCluster::WaitForWorkers(int count) {
  return WaitFor(
      [&] {
        auto workers = client_->Workers();
        int connected = 0;
        if (workers.ok()) {
          for (const auto& w : workers->workers()) {
            connected += w.state() == v1::WORKER_STATE_CONNECTED;
          }
        }
        return connected >= count;
      },
      std::chrono::seconds(20), std::to_string(count) + " connected workers");
}

absl::StatusOr<v1::JobReport> TestCluster::RunJob(int64_t n, int64_t chunks,
                                                  v1::Executor executor, int max_slots) {
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(n);
  request.mutable_spec()->set_chunk_count(chunks);
  request.mutable_spec()->set_executor(executor);
  request.mutable_spec()->set_max_slots(max_slots);
  absl::StatusOr<v1::Job> job = client_->Submit(request);
  if (!job.ok()) return job.status();
  absl::StatusOr<v1::WatchJobResponse> last = client_->Watch(job->id(), 100, [](const auto&) {});
  if (!last.ok()) return last.status();
  return client_->Report(job->id());
}

void ExpectExact(const v1::JobReport& report) {
  EXPECT_EQ(report.state(), v1::JOB_STATE_SUCCEEDED) << report.error();
  EXPECT_EQ(report.decrements(), report.n());
  EXPECT_EQ(report.chunks_done(), report.chunk_total());
  int64_t by_workers = 0;
  for (const auto& worker : report.workers()) by_workers += worker.decrements();
  EXPECT_EQ(by_workers, report.n());  // no chunk counted twice
}

}  // namespace tminus::testing
