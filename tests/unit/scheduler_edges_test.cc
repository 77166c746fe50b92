// The scheduler at its edges (issue 11): name clashes, phantom leases,
// stalls, stragglers of small jobs, unbounded growth, bad input, jobs that
// wait for the store. Fake clock and simulated workers; no sockets.
#include <gtest/gtest.h>

#include "coordinator/core/scheduler.h"
#include "absl/strings/str_cat.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::ExpectExact;
using ::tminus::testing::Sim;
using ::tminus::testing::SimResult;
using ::tminus::testing::StatusIs;

constexpr int64_t kSecond = 1'000'000'000;

TEST(SchedulerEdgesTest, ASecondLiveWorkerWithTheSameNameIsRefusedAndNoJobFails) {
  Sim sim;
  const SessionId first = sim.AddWorker("same", 2);
  const JobId job = sim.Submit(100'000'000, 100);
  for (int i = 0; i < 50; ++i) {
    EXPECT_THAT(sim.TryAddWorker("same", 2),
                StatusIs(absl::StatusCode::kAlreadyExists, "already connected"));
    sim.Step();
  }
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.counters.failed_attempts, 0);
  EXPECT_EQ(report.counters.retries, 0);
  EXPECT_FALSE(sim.worker(first).closed);
}

TEST(SchedulerEdgesTest, ACrashedWorkerIsTakenOverOnceSilentPastTheLeaseTimeout) {
  SchedulerOptions options;
  options.lease_timeout_ns = 2 * kSecond;
  Sim sim(options);
  const SessionId crashed = sim.AddWorker("same", 1);
  const JobId job = sim.Submit(10'000'000, 10);
  sim.worker(crashed).closed = true;  // its host died: no FIN, no more messages
  sim.clock().Advance(kSecond);
  EXPECT_THAT(sim.TryAddWorker("same", 1), StatusIs(absl::StatusCode::kAlreadyExists));
  sim.clock().Advance(kSecond + kSecond / 2);  // silent for 2.5 s now
  const absl::StatusOr<SessionId> restarted = sim.TryAddWorker("same", 1);
  TMINUS_ASSERT_OK(restarted);
  EXPECT_THAT(sim.worker(crashed).close_status,
              StatusIs(absl::StatusCode::kAborted, "taken over"));
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerEdgesTest, AResultResentAfterAReconnectLeavesNoPhantomLease) {
  Sim sim;
  const SessionId before = sim.AddWorker("w", 1, 1.0, /*prefetch=*/0);
  const JobId job = sim.Submit(100, 1);
  ASSERT_EQ(sim.held(before), 1);  // attempt 1
  // The stream breaks before the result went out; the same process reconnects.
  sim.worker(before).closed = true;
  sim.scheduler().CloseSession(before);  // attempt 1 lost: requeued as attempt 2
  const SessionId after = *sim.TryAddWorker("w", 1, sim.worker(before).incarnation, 1.0, 0);
  ASSERT_EQ(sim.held(after), 1);  // attempt 2, on the same worker
  // Its unacknowledged attempt-1 result goes out again on the new session.
  TMINUS_ASSERT_OK(sim.scheduler().OnResults(after, {SimResult(job, 0, 1, 100)}));
  TMINUS_EXPECT_OK(sim.scheduler().CheckInvariants());
  ExpectExact(sim.scheduler(), job);
  for (const WorkerView& worker : sim.scheduler().ListWorkers()) {
    EXPECT_EQ(worker.chunks_running, 0) << worker.worker_id;
  }
  sim.Pump();
  EXPECT_EQ(sim.worker(after).cancels_seen, std::vector<JobId>{job});  // attempt 2 stops
}

TEST(SchedulerEdgesTest, ACoordinatorStallCostsNoAttemptAndNoExpiry) {
  SchedulerOptions options;
  options.lease_timeout_ns = kSecond;
  Sim sim(options);
  const SessionId w = sim.AddWorker("w", 2, /*speed=*/1e-3);  // 1 s chunks
  const JobId job = sim.Submit(4'000'000, 4);
  sim.Tick();
  sim.clock().Advance(20 * kSecond);       // the coordinator is stopped for 20 s...
  sim.scheduler().ExpireSilentSessions();  // ...and its first tick comes before any message
  sim.Pump();
  EXPECT_EQ(sim.scheduler().stalls(), 1);
  EXPECT_FALSE(sim.worker(w).closed);
  while (sim.StepTicking()) {
  }
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.counters.lease_expiries, 0);
  EXPECT_EQ(report.counters.failed_attempts, 0);
}

TEST(SchedulerEdgesTest, AWorkerThatStaysSilentAfterAStallIsStillExpired) {
  SchedulerOptions options;
  options.lease_timeout_ns = kSecond;
  Sim sim(options);
  const SessionId w = sim.AddWorker("w", 1, 1e-9);
  sim.Submit(100, 1);
  sim.scheduler().ExpireSilentSessions();
  sim.clock().Advance(20 * kSecond);
  sim.scheduler().ExpireSilentSessions();  // the stall's grace
  for (int i = 0; i < 3; ++i) {            // 1.5 s of ticks without a word from w
    sim.clock().Advance(options.housekeeping_interval_ns);
    sim.scheduler().ExpireSilentSessions();
  }
  sim.Pump();
  EXPECT_TRUE(sim.worker(w).closed);
}

TEST(SchedulerEdgesTest, ATwoChunkJobWithAStuckChunkGetsABackup) {
  Sim sim;
  const SessionId stuck = sim.AddWorker("stuck", 1, /*speed=*/1e-9, /*prefetch=*/0);
  const SessionId fast = sim.AddWorker("fast", 1, 1.0, 0);
  const JobId job = sim.Submit(2'000'000, 2);
  ASSERT_EQ(sim.held(stuck), 1);
  ASSERT_EQ(sim.held(fast), 1);
  for (int i = 0; i < 100 && sim.scheduler().GetJob(job)->state == JobState::kRunning; ++i) {
    sim.StepTicking();
  }
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.backups, 1);
  EXPECT_LT(sim.scheduler().GetReport(job)->wall_ns, 2 * kSecond);
}

TEST(SchedulerEdgesTest, AOneChunkJobGetsABackupAtTheClusterRate) {
  Sim sim;
  const SessionId learner = sim.AddWorker("learner", 1, 1.0, 0);
  ExpectExact(sim.scheduler(), [&] {
    const JobId warm = sim.Submit(1'000'000, 1);
    sim.Run();
    return warm;
  }());
  sim.worker(learner).closed = true;
  sim.scheduler().CloseSession(learner);
  sim.AddWorker("stuck", 1, 1e-9, 0);
  const JobId job = sim.Submit(1'000'000, 1);
  sim.AddWorker("fast", 1, 1.0, 0);
  for (int i = 0; i < 100 && sim.scheduler().GetJob(job)->state == JobState::kRunning; ++i) {
    sim.StepTicking();
  }
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.backups, 1);
}

TEST(SchedulerEdgesTest, ASlowWorkersTailChunksAreBackedUpOnAFastOne) {
  Sim sim;
  const SessionId slow = sim.AddWorker("slow", 2, /*speed=*/0.1, /*prefetch=*/0);  // 1 s chunks
  const SessionId fast = sim.AddWorker("fast", 2, 1.0, 0);                         // 100 ms
  const JobId job = sim.Submit(4'000'000'000, 40);
  while (sim.StepTicking()) {
  }
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_GE(report.counters.backups, 1);
  EXPECT_GT(sim.worker(fast).results_sent, 4 * sim.worker(slow).results_sent);
}

TEST(SchedulerEdgesTest, HelloFieldsAreBounded) {
  Sim sim;
  WorkerHello hello;
  hello.worker_id = "w";
  hello.host = std::string(5 << 20, 'h');  // 5 MB
  hello.incarnation = 1;
  hello.slots = 1;
  hello.threads = true;
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.host"));
  hello.host = "h";
  hello.version = std::string(65, 'v');
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.version"));
  hello.version = "1";
  for (const char* name : {"bad\x1b[31mname", "two\nlines", "\xff\xfe", "with space"}) {
    hello.worker_id = name;
    EXPECT_THAT(sim.scheduler().OpenSession(hello),
                StatusIs(absl::StatusCode::kInvalidArgument, "hello.worker_id"));
  }
  EXPECT_TRUE(sim.scheduler().ListWorkers().empty());
}

TEST(SchedulerEdgesTest, WorkersGoneLongerThanTheLimitAreForgotten) {
  SchedulerOptions options;
  options.forget_workers_after_ns = 60 * kSecond;
  Sim sim(options);
  std::vector<SessionId> sessions;
  for (int i = 0; i < 2'000; ++i) sessions.push_back(sim.AddWorker(absl::StrCat("w", i), 1));
  const SessionId staying = sim.AddWorker("staying", 1);
  for (SessionId id : sessions) sim.scheduler().CloseSession(id);
  sim.clock().Advance(30 * kSecond);
  (void)sim.scheduler().Touch(staying);
  sim.scheduler().ExpireSilentSessions();
  EXPECT_EQ(sim.scheduler().ListWorkers().size(), 2'001u);
  for (int i = 0; i < 70; ++i) {  // 35 s more, with the connected one heartbeating
    sim.clock().Advance(options.housekeeping_interval_ns);
    (void)sim.scheduler().Touch(staying);
    sim.scheduler().ExpireSilentSessions();
  }
  const std::vector<WorkerView> left = sim.scheduler().ListWorkers();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].worker_id, "staying");
}

TEST(SchedulerEdgesTest, AFinishedJobKeepsItsReportAfterCompaction) {
  Sim sim;
  sim.AddWorker("w", 2);
  const JobId job = sim.Submit(1'000'000, 10);
  sim.Run();
  const JobReport report = *sim.scheduler().GetReport(job);
  ExpectExact(sim.scheduler(), job);
  ASSERT_EQ(report.workers.size(), 1u);
  EXPECT_EQ(report.workers[0].worker_id, "w");
  EXPECT_EQ(report.chunk_durations.count, 10);
  const JobProgress progress = *sim.scheduler().GetProgress(job);
  EXPECT_EQ(progress.job.decrements_done, 1'000'000);
  ASSERT_EQ(progress.workers.size(), 1u);
  EXPECT_EQ(progress.workers[0].chunks_done, 10);
  // Its last snapshot went to the store before it was compacted.
  const std::vector<JobSnapshot> saved = sim.scheduler().TakeDirtySnapshots();
  const auto it = std::find_if(saved.begin(), saved.end(),
                               [job](const JobSnapshot& s) { return s.id == job; });
  ASSERT_NE(it, saved.end());
  EXPECT_EQ(it->state, JobState::kSucceeded);
  EXPECT_EQ(it->histogram_count, 10);
}

TEST(SchedulerEdgesTest, AMalformedResultIsRefusedAndNothingOfItsBatchApplies) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 1, 1.0, 0);
  const JobId job = sim.Submit(100, 2);
  ChunkReport good = SimResult(job, 0, 1, 50);
  ChunkReport bad = SimResult(job, 1, 1, 50);
  bad.cpu_ns = -50;
  EXPECT_THAT(sim.scheduler().OnResults(w, {good, bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, "results[1].cpu_ns"));
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_done, 0);
  bad.cpu_ns = 0;
  bad.end_mono_ns = -1;
  EXPECT_THAT(sim.scheduler().OnResults(w, {bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, "results[0].end_mono_ns"));
  // Clock readings no clock gives: their differences and sums (the
  // timelines', the chunk stream's) would overflow.
  const ChunkReport fine = SimResult(job, 1, 1, 50);
  bad = fine;
  bad.start_mono_ns = INT64_MIN;
  EXPECT_THAT(sim.scheduler().OnResults(w, {bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, "results[0].start_mono_ns"));
  bad = fine;
  bad.end_mono_ns = INT64_MAX;
  EXPECT_THAT(sim.scheduler().OnResults(w, {bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, "results[0].end_mono_ns"));
  bad = fine;
  bad.start_wall_ns = -1;
  EXPECT_THAT(sim.scheduler().OnResults(w, {bad}),
              StatusIs(absl::StatusCode::kInvalidArgument, "results[0].start_wall_ns"));
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_done, 0);
}

TEST(SchedulerEdgesTest, ACancelledJobsElapsedTimeStopsAtTheCancel) {
  Sim sim;
  sim.AddWorker("w", 1, /*speed=*/1e-3, 0);  // 0.1 s chunks
  const JobId job = sim.Submit(1'000'000, 10);
  sim.Step();  // one chunk done at 0.1 s
  sim.clock().Advance(kSecond);
  TMINUS_ASSERT_OK(sim.scheduler().Cancel(job));
  const int64_t at_cancel = sim.scheduler().GetJob(job)->elapsed_ns;
  EXPECT_GE(at_cancel, kSecond);
  sim.clock().Advance(5 * kSecond);
  EXPECT_EQ(sim.scheduler().GetJob(job)->elapsed_ns, at_cancel);
  EXPECT_EQ(sim.scheduler().GetReport(job)->wall_ns, at_cancel);
}

TEST(SchedulerEdgesTest, AHeldJobRunsOnlyOnceSavedAndADroppedOneLeavesNoTrace) {
  SchedulerOptions options;
  options.hold_until_saved = true;
  Sim sim(options);
  const SessionId w = sim.AddWorker("w", 2);
  const JobId saved = sim.Submit(1'000, 10);
  const JobId lost = sim.Submit(1'000, 10);
  EXPECT_EQ(sim.held(w), 0);  // nothing runs before its commit
  EXPECT_EQ(sim.scheduler().TakeHeldJobs(), (std::vector<JobId>{saved, lost}));
  sim.scheduler().DropUnsaved(lost);
  sim.scheduler().ReleaseSaved({saved});
  sim.Pump();
  EXPECT_GT(sim.held(w), 0);
  sim.Run();
  ExpectExact(sim.scheduler(), saved);
  EXPECT_THAT(sim.scheduler().GetJob(lost), StatusIs(absl::StatusCode::kNotFound));
  const JobId next = sim.Submit(1'000, 10);
  EXPECT_GT(next, lost);  // its id is not handed out again
}

TEST(SchedulerEdgesTest, IdsContinueAfterTheSavedHighWaterMark) {
  Sim sim;
  TMINUS_ASSERT_OK(sim.scheduler().Restore({}, /*next_job_id=*/42));
  EXPECT_EQ(sim.Submit(10, 1), 42u);
}

TEST(SchedulerEdgesTest, NothingIsLeasedWhileDispatchIsPaused) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2);
  sim.scheduler().SetDispatchPaused(true);
  const JobId job = sim.Submit(1'000, 10);
  EXPECT_EQ(sim.held(w), 0);
  sim.scheduler().SetDispatchPaused(false);
  sim.Pump();
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

}  // namespace
}  // namespace tminus
