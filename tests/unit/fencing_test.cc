// Fencing (issue 19): a result counts, or fails anything, only from the
// session that holds its lease, or as a late result the rules allow (a
// reconnect's resend, a restart). A hand-made session reporting chunks it
// was never given changes nothing, is counted, and is ended if it keeps on.
// Fake clock and simulated workers; no sockets.
#include <gtest/gtest.h>

#include "coordinator/core/scheduler.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::ExpectExact;
using ::tminus::testing::Sim;
using ::tminus::testing::SimResult;
using ::tminus::testing::StatusIs;

constexpr int64_t kSecond = 1'000'000'000;

// A session made by hand: a Hello, no credits, so never an Assign.
SessionId Rogue(Scheduler& scheduler, const std::string& name = "rogue") {
  WorkerHello hello{{name, 77, "rogue-host", 1, true, true, "v", {}, {}}, {}};
  return *scheduler.OpenSession(hello);
}

// OK results with the right count for every chunk, under several attempts.
std::vector<ChunkReport> EveryChunk(JobId job, int64_t chunks, int64_t per_chunk) {
  std::vector<ChunkReport> results;
  for (int32_t attempt : {1, 2, 3, 99}) {
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      results.push_back(SimResult(job, chunk, attempt, per_chunk));
    }
  }
  return results;
}

void ExpectOnlyWorker(const Scheduler& scheduler, JobId job, const std::string& worker) {
  const JobReport report = *scheduler.GetReport(job);
  ASSERT_EQ(report.workers.size(), 1u);
  EXPECT_EQ(report.workers[0].worker_id, worker);
  EXPECT_EQ(report.workers[0].chunks, report.job.chunk_total);
}

TEST(FencingTest, ResultsForAQueuedJobFromASessionThatHoldsNothingCountNothing) {
  Sim sim;
  const JobId job = sim.Submit(1'000, 10);
  const SessionId rogue = Rogue(sim.scheduler());
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(rogue, EveryChunk(job, 10, 100)));
  const JobView view = *sim.scheduler().GetJob(job);
  EXPECT_EQ(view.state, JobState::kQueued);
  EXPECT_EQ(view.chunks_done, 0);
  EXPECT_EQ(sim.scheduler().counters().results_unleased, 40);
  EXPECT_EQ(sim.scheduler().counters().chunks_completed, 0);
  sim.AddWorker("honest", 2);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  ExpectOnlyWorker(sim.scheduler(), job, "honest");
}

TEST(FencingTest, ResultsForARunningJobFromASessionThatHoldsNothingCountNothing) {
  Sim sim;
  sim.AddWorker("honest", 2);
  const JobId job = sim.Submit(4'000, 40);
  sim.Step();  // the honest worker is under way
  const SessionId rogue = Rogue(sim.scheduler());
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(rogue, EveryChunk(job, 40, 100)));
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kRunning);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  ExpectOnlyWorker(sim.scheduler(), job, "honest");
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.duplicates, 0);
}

TEST(FencingTest, AWrongCountFromASessionThatHoldsNothingFailsNothing) {
  SchedulerOptions options;
  options.max_attempts = 3;
  Sim sim(options);
  sim.AddWorker("honest", 1, 1.0, /*prefetch=*/0);
  const JobId job = sim.Submit(8'000, 80);
  const SessionId rogue = Rogue(sim.scheduler());
  // Chunk 79 is queued (nobody holds it), chunk 0 is leased to the honest worker.
  for (int64_t chunk : {int64_t{79}, int64_t{0}}) {
    for (int32_t attempt = 1; attempt <= 3; ++attempt) {
      TMINUS_EXPECT_OK(sim.scheduler().OnResults(rogue, {SimResult(job, chunk, attempt, 1)}));
      ChunkReport failed = SimResult(job, chunk, attempt, 0, ChunkOutcome::kFailed);
      TMINUS_EXPECT_OK(sim.scheduler().OnResults(rogue, {failed}));
    }
  }
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.job.state, JobState::kRunning) << report.job.error;
  EXPECT_EQ(report.counters.failed_attempts, 0);
  EXPECT_EQ(sim.scheduler().counters().results_unleased, 12);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(FencingTest, ASessionThatKeepsSendingUnleasedResultsIsEnded) {
  SchedulerOptions options;
  options.max_unleased_results = 10;
  Sim sim(options);
  const JobId job = sim.Submit(1'000, 100);
  const SessionId rogue = Rogue(sim.scheduler());
  std::vector<ChunkReport> ten;
  for (int64_t chunk = 0; chunk < 10; ++chunk) ten.push_back(SimResult(job, chunk, 1, 10));
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(rogue, ten));
  EXPECT_THAT(sim.scheduler().OnResults(rogue, {SimResult(job, 50, 1, 10)}),
              StatusIs(absl::StatusCode::kPermissionDenied, "not leased"));
  // A job that never existed counts the same.
  const SessionId other = Rogue(sim.scheduler(), "other");
  std::vector<ChunkReport> nowhere;
  for (int64_t chunk = 0; chunk < 11; ++chunk) nowhere.push_back(SimResult(job + 7, chunk, 1, 10));
  EXPECT_THAT(sim.scheduler().OnResults(other, nowhere),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_done, 0);
}

TEST(FencingTest, AResultAlreadyAppliedAndSentAgainIsADuplicateNotAStrike) {
  SchedulerOptions options;
  options.max_unleased_results = 0;  // any strike would end the session
  Sim sim(options);
  const SessionId before = sim.AddWorker("w", 1, 1.0, /*prefetch=*/0);
  const JobId job = sim.Submit(100, 2);
  TMINUS_ASSERT_OK(sim.scheduler().OnResults(before, {SimResult(job, 0, 1, 50)}));
  // The Ack was lost with the stream; the same process reconnects and resends.
  sim.worker(before).closed = true;
  sim.scheduler().CloseSession(before);
  const SessionId after = *sim.TryAddWorker("w", 1, sim.worker(before).incarnation, 1.0, 0);
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(after, {SimResult(job, 0, 1, 50)}));
  EXPECT_EQ(sim.scheduler().GetReport(job)->counters.duplicates, 1);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(FencingTest, AfterARestartLateResultsComeInForAWhileThenAreDropped) {
  SchedulerOptions options;
  options.lease_timeout_ns = kSecond;
  Sim before(options);
  before.AddWorker("w", 1, 1.0, /*prefetch=*/0);
  const JobId job = before.Submit(100, 4);
  const std::vector<JobSnapshot> saved = before.scheduler().TakeDirtySnapshots();
  ASSERT_EQ(saved.size(), 1u);

  Sim after(options);
  TMINUS_ASSERT_OK(after.scheduler().Restore(saved));
  // The worker reconnects and resends its attempt-1 result of the process before.
  const SessionId back = Rogue(after.scheduler(), "w");
  TMINUS_EXPECT_OK(after.scheduler().OnResults(back, {SimResult(job, 0, 1, 25)}));
  EXPECT_EQ(after.scheduler().GetJob(job)->chunks_done, 1);
  // Past the grace, nothing of the process before is let in.
  after.clock().Advance(3 * kSecond);
  TMINUS_EXPECT_OK(after.scheduler().OnResults(back, {SimResult(job, 1, 1, 25)}));
  EXPECT_EQ(after.scheduler().GetJob(job)->chunks_done, 1);
  EXPECT_EQ(after.scheduler().counters().results_unleased, 1);
  after.scheduler().CloseSession(back);
  after.AddWorker("w2", 1);
  after.Run();
  ExpectExact(after.scheduler(), job);
}

}  // namespace
}  // namespace tminus
