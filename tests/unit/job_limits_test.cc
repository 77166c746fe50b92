// Per-job limits (issue 12): --max-attempts overrides the coordinator's
// default, and --time-limit cancels a job whose wall time passed it. Fake
// clock and simulated workers.
#include <gtest/gtest.h>

#include "coordinator/core/scheduler.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::Sim;
using ::tminus::testing::SimResult;

constexpr int64_t kSecond = 1'000'000'000;

JobSpec Spec(int64_t n, int64_t chunks) {
  JobSpec spec;
  spec.n = n;
  spec.chunk_count = chunks;
  spec.executor = ExecutorKind::kThreads;
  return spec;
}

TEST(JobLimitsTest, AJobPastItsTimeLimitIsCancelledWithTheReason) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2);
  JobSpec spec = Spec(100 * kSecond, 10);  // 10 s chunks at 1 decrement/ns
  spec.time_limit_ms = 3'000;
  const JobId job = sim.SubmitSpec(spec);
  sim.Pump();  // chunks start: the clock counts
  ASSERT_EQ(sim.scheduler().GetJob(job)->state, JobState::kRunning);
  for (int i = 0; i < 8; ++i) {  // 4 s of housekeeping ticks
    sim.clock().Advance(kSecond / 2);
    sim.Tick();
  }
  const JobView view = *sim.scheduler().GetJob(job);
  EXPECT_EQ(view.state, JobState::kCancelled);
  EXPECT_NE(view.error.find("time limit of 3s passed"), std::string::npos) << view.error;
  EXPECT_LT(view.elapsed_ns, 4 * kSecond);
  sim.Pump();
  EXPECT_EQ(sim.worker(w).cancels_seen, std::vector<JobId>{job});  // its chunks stop
  TMINUS_EXPECT_OK(sim.scheduler().CheckInvariants());
}

TEST(JobLimitsTest, TheLimitCountsFromTheFirstLeaseNotWhileQueued) {
  Sim sim;
  JobSpec spec = Spec(1'000'000, 4);
  spec.time_limit_ms = 1'000;
  const JobId job = sim.SubmitSpec(spec);
  for (int i = 0; i < 10; ++i) {  // 5 s with no worker
    sim.clock().Advance(kSecond / 2);
    sim.Tick();
  }
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kQueued);
  sim.AddWorker("late", 2);
  sim.Run();
  testing::ExpectExact(sim.scheduler(), job);
}

TEST(JobLimitsTest, AJobsMaxAttemptsOverridesTheCoordinators) {
  SchedulerOptions options;
  options.max_attempts = 5;
  Sim sim(options);
  const SessionId w = sim.AddWorker("flaky", 1, 1.0, 0);
  JobSpec spec = Spec(100, 1);
  spec.max_attempts = 1;
  const JobId job = sim.SubmitSpec(spec);
  TMINUS_EXPECT_OK(
      sim.scheduler().OnResults(w, {SimResult(job, 0, 1, 0, ChunkOutcome::kFailed)}));
  const JobView view = *sim.scheduler().GetJob(job);
  EXPECT_EQ(view.state, JobState::kFailed);
  EXPECT_NE(view.error.find("failed 1 attempts"), std::string::npos) << view.error;
}

TEST(JobLimitsTest, LimitsOutsideTheirRangesAreRefusedNamingTheField) {
  JobSpec spec = Spec(100, 1);
  spec.max_attempts = 101;
  EXPECT_NE(ValidateJobSpec(spec).message().find("max_attempts: must be between 0"),
            std::string::npos);
  spec.max_attempts = 0;
  spec.time_limit_ms = -1;
  EXPECT_NE(ValidateJobSpec(spec).message().find("time_limit: must be between 0"),
            std::string::npos);
}

}  // namespace
}  // namespace tminus

namespace tminus {
namespace {

using ::tminus::testing::ExpectExact;
using ::tminus::testing::Sim;

// `tminus drain`: no new leases, queued ones handed back (not failures),
// running ones finish; `undrain` lets the worker take leases again.
TEST(DrainTest, ADrainedWorkerFinishesItsRunningChunksAndTakesNoMore) {
  Sim sim;
  const SessionId a = sim.AddWorker("a", 1, 1.0, /*prefetch=*/2);
  const JobId job = sim.Submit(1'000'000, 20);
  ASSERT_EQ(sim.held(a), 3);  // 1 running, 2 queued
  absl::StatusOr<WorkerView> view = sim.scheduler().SetDrained("a", true);
  TMINUS_ASSERT_OK(view);
  EXPECT_EQ(view->state, WorkerState::kDrained);
  sim.Pump();
  EXPECT_EQ(sim.worker(a).drains_seen, 1);
  EXPECT_EQ(sim.held(a), 1);  // the queued two came back
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.handed_back, 2);
  sim.Run();  // the running chunk finishes; nothing more goes to "a"
  EXPECT_EQ(sim.held(a), 0);
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_done, 1);
  const JobId queued = sim.Submit(1'000, 1);
  EXPECT_EQ(sim.scheduler().GetJob(queued)->waiting_reason,
            "every connected worker is draining or drained");
  TMINUS_ASSERT_OK(sim.scheduler().SetDrained("a", false));
  sim.Pump();  // the leases the undrain dispatched reach the worker
  sim.Run();
  ExpectExact(sim.scheduler(), queued);
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.failed_attempts, 0);
}

TEST(DrainTest, ADrainedWorkerIsNotForgottenWhileAway) {
  SchedulerOptions options;
  options.forget_workers_after_ns = 10 * kSecond;
  Sim sim(options);
  const SessionId first = sim.AddWorker("a", 1, 1.0, 0);
  TMINUS_ASSERT_OK(sim.scheduler().SetDrained("a", true));
  sim.worker(first).closed = true;
  sim.scheduler().CloseSession(first);
  sim.clock().Advance(60 * kSecond);  // away for its maintenance, past the forget time
  sim.Tick();
  const SessionId back = *sim.TryAddWorker("a", 1, 0, 1.0, 0);
  sim.Submit(1'000, 1);
  EXPECT_EQ(sim.held(back), 0);  // still drained
}

TEST(DrainTest, TheDrainOutlivesAReconnectAndUnknownWorkersAreNotFound) {
  Sim sim;
  const SessionId first = sim.AddWorker("a", 1, 1.0, 0);
  TMINUS_ASSERT_OK(sim.scheduler().SetDrained("a", true));
  sim.worker(first).closed = true;
  sim.scheduler().CloseSession(first);
  const SessionId again = *sim.TryAddWorker("a", 1, sim.worker(first).incarnation, 1.0, 0);
  const JobId job = sim.Submit(1'000, 2);
  EXPECT_EQ(sim.held(again), 0);
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kQueued);
  EXPECT_EQ(sim.scheduler().SetDrained("b", true).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tminus

namespace tminus {
namespace {

using ::tminus::testing::Sim;

constexpr int64_t kHour = int64_t{3600} * 1'000'000'000;

// --retain: the newest finished jobs are kept, older ones deleted (and
// handed to the store to delete); running jobs are never touched.
TEST(RetainTest, TheOldestFinishedJobsBeyondTheCountAreDeleted) {
  SchedulerOptions options;
  options.retain_jobs = 3;
  Sim sim(options);
  sim.AddWorker("w", 2);
  std::vector<JobId> jobs;
  for (int i = 0; i < 5; ++i) {
    jobs.push_back(sim.Submit(1'000, 2));
    sim.Run();
  }
  sim.Tick();
  EXPECT_EQ(sim.scheduler().TakeForgottenJobs(), (std::vector<JobId>{jobs[0], jobs[1]}));
  EXPECT_EQ(sim.scheduler().GetJob(jobs[0]).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(sim.scheduler().ListJobs(0, 100).size(), 3u);
  EXPECT_TRUE(sim.scheduler().GetReport(jobs[4]).ok());
}

TEST(RetainTest, FinishedJobsOlderThanTheAgeAreDeletedAndActiveOnesKept) {
  SchedulerOptions options;
  options.retain_for_ns = kHour;
  Sim sim(options);
  sim.AddWorker("w", 1);
  const JobId old_job = sim.Submit(1'000, 1);
  sim.Run();
  sim.clock().Advance(2 * kHour);
  const JobId waiting = sim.Submit(1'000, 1);  // leased, not run: stays active
  sim.Tick();
  EXPECT_EQ(sim.scheduler().TakeForgottenJobs(), std::vector<JobId>{old_job});
  EXPECT_TRUE(sim.scheduler().GetJob(waiting).ok());
}

TEST(ListFilterTest, JobsAreFilteredByStateAndSubmissionTime) {
  Sim sim;
  sim.AddWorker("w", 1);
  const JobId done = sim.Submit(1'000, 1);
  sim.Run();
  sim.clock().Advance(kHour);
  const JobId running = sim.Submit(1'000'000'000, 1);
  JobFilter only_done;
  only_done.states = {JobState::kSucceeded};
  const std::vector<JobView> succeeded = sim.scheduler().ListJobs(0, 10, only_done);
  ASSERT_EQ(succeeded.size(), 1u);
  EXPECT_EQ(succeeded[0].id, done);
  JobFilter recent;
  recent.submitted_after_wall_ns = sim.clock().WallNs() - kHour / 2;
  const std::vector<JobView> new_ones = sim.scheduler().ListJobs(0, 10, recent);
  ASSERT_EQ(new_ones.size(), 1u);
  EXPECT_EQ(new_ones[0].id, running);
}

}  // namespace
}  // namespace tminus
