// An in-process coordinator on 127.0.0.1:0 and in-process workers (real
// SessionClients on real sockets; the processes executor starts real child
// processes of the built tminus-worker binary).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/client.h"
#include "coordinator/service/server.h"
#include "worker/session_client.h"

namespace tminus::testing {

class InProcessWorker {
 public:
  InProcessWorker(const std::string& coordinator, const std::string& name, int slots);
  ~InProcessWorker();
  SessionClient& client() { return *client_; }

 private:
  std::unique_ptr<SessionClient> client_;
  std::thread thread_;
};

class TestCluster {
 public:
  explicit TestCluster(SchedulerOptions options = {});
  ~TestCluster();

  const std::string& address() const { return address_; }
  JobClient& client() { return *client_; }
  InProcessWorker& AddWorker(const std::string& name, int slots);
  // Until `count` workers are connected (CONNECTED in ListWorkers), 20 s at most.
  ::testing::AssertionResult WaitForWorkers(int count);
  // Submits and waits for the end; returns the report.
  absl::StatusOr<v1::JobReport> RunJob(int64_t n, int64_t chunks, v1::Executor executor,
                                       int max_slots = 0);

 private:
  std::unique_ptr<CoordinatorServer> server_;
  std::string address_;
  std::unique_ptr<JobClient> client_;
  std::vector<std::unique_ptr<InProcessWorker>> workers_;
};

// The correctness check of a finished job.
void ExpectExact(const v1::JobReport& report);

}  // namespace tminus::testing
