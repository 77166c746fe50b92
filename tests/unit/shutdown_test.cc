// The coordinator's own graceful stop (issue 19): the workers are healthy,
// so the sessions it ends charge no attempt, and nothing new starts while it
// stops. Fake clock and simulated workers; no sockets.
#include <gtest/gtest.h>

#include "coordinator/core/scheduler.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::ExpectExact;
using ::tminus::testing::Sim;
using ::tminus::testing::StatusIs;

constexpr int64_t kSecond = 1'000'000'000;

TEST(ShutdownTest, SessionsEndedByTheCoordinatorsOwnStopChargeNoAttempt) {
  SchedulerOptions options;
  options.max_attempts = 1;  // one charged attempt would fail the job
  Sim before(options);
  const SessionId w = before.AddWorker("w", 2, 1.0, /*prefetch=*/2);
  const JobId job = before.Submit(10'000, 20);
  before.Step();
  ASSERT_GT(before.held(w), 0);
  before.scheduler().BeginShutdown();
  before.worker(w).closed = true;
  before.scheduler().CloseSession(w);
  const JobReport report = *before.scheduler().GetReport(job);
  EXPECT_EQ(report.job.state, JobState::kRunning) << report.job.error;
  EXPECT_EQ(report.counters.failed_attempts, 0);
  EXPECT_EQ(report.counters.retries, 0);
  for (const WorkerView& worker : before.scheduler().ListWorkers()) {
    EXPECT_EQ(worker.leases_lost, 0) << worker.worker_id;
  }
  // The next coordinator takes the job from its saved state and ends it exactly.
  Sim after(options);
  TMINUS_ASSERT_OK(after.scheduler().Restore(before.scheduler().TakeDirtySnapshots()));
  after.AddWorker("w", 2);
  after.Run();
  ExpectExact(after.scheduler(), job);
}

TEST(ShutdownTest, NoSessionOpensNothingIsLeasedAndNobodyExpiresWhileStopping) {
  SchedulerOptions options;
  options.lease_timeout_ns = kSecond;
  Sim sim(options);
  const SessionId w = sim.AddWorker("w", 1, 1.0, /*prefetch=*/0);
  const JobId job = sim.Submit(1'000, 10);
  sim.scheduler().BeginShutdown();
  EXPECT_THAT(sim.TryAddWorker("late", 1), StatusIs(absl::StatusCode::kUnavailable,
                                                    "shutting down"));
  TMINUS_EXPECT_OK(sim.scheduler().AddCredits(w, 5));
  sim.Pump();
  EXPECT_EQ(sim.held(w), 1);  // what it held before; nothing new
  sim.clock().Advance(5 * kSecond);
  sim.scheduler().ExpireSilentSessions();
  TMINUS_EXPECT_OK(sim.scheduler().Touch(w));  // still open: the stop blames nobody
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.lease_expiries, 0);
}

}  // namespace
}  // namespace tminus
