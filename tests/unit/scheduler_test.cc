#include "coordinator/core/scheduler.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/study_series.h"

#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::Sim;
using ::tminus::testing::StatusIs;

using ::tminus::testing::ExpectExact;
using ::tminus::testing::SimResult;

TEST(SchedulerTest, OneWorkerFinishesAJobExactly) {
  Sim sim;
  const JobId job = sim.Submit(1'000'003, 17);
  sim.AddWorker("w1", 2);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerTest, JobQueuedUntilAWorkerJoins) {
  Sim sim;
  const JobId job = sim.Submit(1'000, 10);
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kQueued);
  sim.AddWorker("late", 1);
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kRunning);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerTest, FastWorkerTakesMoreChunks) {
  Sim sim;
  const SessionId slow = sim.AddWorker("slow", 2, /*speed=*/1.0);
  const SessionId fast = sim.AddWorker("fast", 2, /*speed=*/3.0);
  const JobId job = sim.Submit(4'000'000, 400);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  const double ratio = static_cast<double>(sim.worker(fast).results_sent) /
                       static_cast<double>(sim.worker(slow).results_sent);
  EXPECT_GT(ratio, 2.5);
  EXPECT_LT(ratio, 3.5);
}

TEST(SchedulerTest, MoreSlotsTakeMoreChunks) {
  Sim sim;
  const SessionId small = sim.AddWorker("small", 1);
  const SessionId big = sim.AddWorker("big", 4);
  const JobId job = sim.Submit(1'000'000, 500);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  EXPECT_GT(sim.worker(big).results_sent, 3 * sim.worker(small).results_sent);
}

TEST(SchedulerTest, NeverLeasesMoreThanCredits) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 3, 1.0, /*prefetch=*/2);
  sim.Submit(1'000'000, 1'000);
  sim.Run();
  EXPECT_LE(sim.worker(w).max_leases_held, 5);
}

TEST(SchedulerTest, IdleSlotsAreFilledBeforePrefetch) {
  Sim sim;
  const SessionId a = sim.AddWorker("a", 2, 1.0, /*prefetch=*/4);
  const SessionId b = sim.AddWorker("b", 2, 1.0, /*prefetch=*/4);
  sim.Submit(4'000, 4);
  // Four chunks, four idle slots: each worker gets two, none sits in a queue.
  EXPECT_EQ(sim.held(a), 2);
  EXPECT_EQ(sim.held(b), 2);
}

TEST(SchedulerTest, ClosedSessionReleasesLeasesToOtherWorkers) {
  Sim sim;
  const SessionId doomed = sim.AddWorker("doomed", 2);
  const JobId job = sim.Submit(10'000, 10);
  EXPECT_GT(sim.held(doomed), 0);
  sim.worker(doomed).closed = true;
  sim.scheduler().CloseSession(doomed);
  sim.AddWorker("rescuer", 2);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_GE(report.counters.retries, 1);
  EXPECT_EQ(report.counters.duplicates, 0);
  EXPECT_THAT(sim.scheduler().AddCredits(doomed, 1), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(SchedulerTest, DrainingSessionClosingHandsItsLeasesBackWithoutRetries) {
  Sim sim;
  const SessionId leaving = sim.AddWorker("leaving", 2);
  const JobId job = sim.Submit(10'000, 10);
  ASSERT_GT(sim.held(leaving), 0);
  TMINUS_EXPECT_OK(sim.scheduler().SetDraining(leaving));
  sim.worker(leaving).closed = true;
  sim.scheduler().CloseSession(leaving);  // an Assign crossed its Draining message
  sim.AddWorker("staying", 2);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.counters.retries, 0);
  EXPECT_EQ(report.counters.failed_attempts, 0);
  EXPECT_GT(report.counters.handed_back, 0);
}

TEST(SchedulerTest, SecondResultForAChunkIsADuplicate) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 1, 1.0, 0);
  const JobId job = sim.Submit(100, 2);
  const ChunkReport result = SimResult(job, 0, 1, 50);
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(w, {result, result}));
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.counters.duplicates, 1);
  EXPECT_EQ(report.job.decrements_done, 50);
}

TEST(SchedulerTest, LateResultFromAReleasedLeaseIsAcceptedOnceOnly) {
  Sim sim;
  const SessionId first = sim.AddWorker("first", 1, 1.0, 0);
  const JobId job = sim.Submit(100, 1);
  sim.worker(first).closed = true;
  sim.scheduler().CloseSession(first);  // chunk 0 goes back with attempt 2
  const SessionId second = sim.AddWorker("second", 1, 1.0, 0);
  ASSERT_EQ(sim.held(second), 1);
  // The first worker comes back and delivers its attempt-1 result late.
  const SessionId returned = sim.AddWorker("first", 1, 1.0, 0);
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(returned, {SimResult(job, 0, 1, 100)}));
  sim.Pump();
  sim.Run();  // the second worker's attempt-2 result arrives too
  ExpectExact(sim.scheduler(), job);
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.job.decrements_done, 100);
}

TEST(SchedulerTest, WrongDecrementCountIsAFailedAttemptNotAccepted) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 1, 1.0, 0);
  const JobId job = sim.Submit(100, 1);
  TMINUS_EXPECT_OK(sim.scheduler().OnResults(w, {SimResult(job, 0, 1, 99)}));
  const JobReport report = *sim.scheduler().GetReport(job);
  EXPECT_EQ(report.job.decrements_done, 0);
  EXPECT_EQ(report.counters.failed_attempts, 1);
  EXPECT_EQ(report.job.state, JobState::kRunning);
}

TEST(SchedulerTest, ChunkFailingMaxAttemptsFailsTheJobNamingChunkAndWorkers) {
  SchedulerOptions options;
  options.max_attempts = 3;
  Sim sim(options);
  const SessionId w = sim.AddWorker("flaky", 1, 1.0, 0);
  const JobId job = sim.Submit(100, 1);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ChunkReport failed = SimResult(job, 0, attempt, 0, ChunkOutcome::kFailed);
    failed.error = "child process killed by signal 9";
    TMINUS_EXPECT_OK(sim.scheduler().OnResults(w, {failed}));
    TMINUS_EXPECT_OK(sim.scheduler().AddCredits(w, 1));
  }
  const JobView view = *sim.scheduler().GetJob(job);
  EXPECT_EQ(view.state, JobState::kFailed);
  EXPECT_NE(view.error.find("chunk 0 failed 3 attempts"), std::string::npos) << view.error;
  EXPECT_NE(view.error.find("flaky"), std::string::npos) << view.error;
}

TEST(SchedulerTest, CancelStopsTheJobAndTellsItsWorkers) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2);
  const JobId job = sim.Submit(1'000'000, 100);
  sim.Run(10);
  TMINUS_EXPECT_OK(sim.scheduler().Cancel(job));
  sim.Pump();
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kCancelled);
  ASSERT_EQ(sim.worker(w).cancels_seen.size(), 1u);
  EXPECT_EQ(sim.worker(w).cancels_seen[0], job);
  const int64_t done = sim.scheduler().GetJob(job)->chunks_done;
  sim.Run();
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_done, done);  // nothing counted after
  TMINUS_EXPECT_OK(sim.scheduler().Cancel(job));  // idempotent
  EXPECT_THAT(sim.scheduler().Cancel(999), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SchedulerTest, HigherPriorityFirstThenOlderFirst) {
  Sim sim;
  const JobId low = sim.Submit(10, 10, /*priority=*/0);
  const JobId high = sim.Submit(10, 10, /*priority=*/5);
  const JobId low_later = sim.Submit(10, 10, /*priority=*/0);
  sim.AddWorker("w", 1, 1.0, 0);
  std::vector<JobId> finish_order;
  while (sim.Step()) {
    for (JobId job : {low, high, low_later}) {
      if (sim.scheduler().GetJob(job)->state == JobState::kSucceeded &&
          std::find(finish_order.begin(), finish_order.end(), job) == finish_order.end()) {
        finish_order.push_back(job);
      }
    }
  }
  EXPECT_EQ(finish_order, (std::vector<JobId>{high, low, low_later}));
}

TEST(SchedulerTest, MaxSlotsCapsChunksRunningAndLeavesRoomForPrefetch) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 8, 1.0, 8);
  const JobId job = sim.Submit(100'000, 100, 0, /*max_slots=*/2);
  EXPECT_EQ(sim.held(w), 4);  // 2 may run (the worker enforces it), 2 wait
  while (sim.Step()) {
  }
  EXPECT_EQ(sim.peak_running(job), 2);
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(sim.scheduler().GetReport(job)->slots_used, 2);
}

TEST(SchedulerTest, WorkerGetsOnlyExecutorsItSupports) {
  Sim sim;
  const SessionId threads_only = sim.AddWorker("t", 2, 1.0, 0, true, false);
  const JobId job = sim.Submit(1'000, 10, 0, 0, ExecutorKind::kProcesses);
  EXPECT_EQ(sim.held(threads_only), 0);
  sim.AddWorker("p", 2, 1.0, 0, false, true);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(sim.worker(threads_only).results_sent, 0);
}

TEST(SchedulerTest, ReportArithmeticOnAFakeClock) {
  Sim sim;
  sim.AddWorker("w", 2, /*speed=*/1.0, /*prefetch=*/0);
  // Four chunks of 1 s each on two slots: wall 2 s, busy 4 s.
  const JobId job = sim.Submit(4'000'000'000, 4);
  sim.Run();
  const JobReport r = *sim.scheduler().GetReport(job);
  EXPECT_EQ(r.wall_ns, 2'000'000'000);
  EXPECT_EQ(r.busy_ns, 4'000'000'000);
  EXPECT_EQ(r.slots_used, 2);
  EXPECT_DOUBLE_EQ(r.parallelism, 2.0);
  EXPECT_DOUBLE_EQ(r.occupancy, 1.0);
  EXPECT_DOUBLE_EQ(r.cpu_share, 1.0);
  EXPECT_FALSE(r.speedup.has_value()) << "no calibration, no speedup";
  EXPECT_EQ(r.overhead_ns, 0);
  EXPECT_DOUBLE_EQ(r.decrements_per_second, 2e9);
  EXPECT_EQ(r.chunk_durations.count, 4);
  EXPECT_EQ(r.chunk_durations.min, 1'000'000'000);
  EXPECT_EQ(r.chunk_durations.max, 1'000'000'000);
  ASSERT_EQ(r.workers.size(), 1u);
  EXPECT_EQ(r.workers[0].chunks, 4);
  EXPECT_DOUBLE_EQ(r.workers[0].utilisation, 1.0);
  ASSERT_EQ(r.workers[0].slot_reports.size(), 2u);
  EXPECT_DOUBLE_EQ(r.workers[0].slot_reports[0].utilisation, 1.0);
}

TEST(SchedulerTest, SubmitValidatesAndDeduplicatesByRequestId) {
  Sim sim;
  JobSpec spec;
  spec.n = 0;
  spec.chunk_count = 1;
  spec.executor = ExecutorKind::kThreads;
  EXPECT_THAT(sim.scheduler().Submit(spec, ""), StatusIs(absl::StatusCode::kInvalidArgument, "n:"));
  EXPECT_TRUE(sim.scheduler().ListJobs(0, 10).empty());  // nothing changed
  spec.n = 10;
  const JobId first = *sim.scheduler().Submit(spec, "req-1");
  EXPECT_EQ(*sim.scheduler().Submit(spec, "req-1"), first);
  EXPECT_NE(*sim.scheduler().Submit(spec, "req-2"), first);
  EXPECT_THAT(sim.scheduler().Submit(spec, std::string(129, 'r')),
              StatusIs(absl::StatusCode::kInvalidArgument, "request_id"));
  EXPECT_THAT(sim.scheduler().GetJob(12345), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(sim.scheduler().GetReport(12345), StatusIs(absl::StatusCode::kNotFound));
}

TEST(SchedulerTest, ListJobsPagesNewestFirst) {
  Sim sim;
  for (int i = 0; i < 5; ++i) sim.Submit(10, 1);
  const auto first = sim.scheduler().ListJobs(0, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, 5u);
  EXPECT_EQ(first[1].id, 4u);
  const auto rest = sim.scheduler().ListJobs(first[1].id, 10);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].id, 3u);
}

TEST(SchedulerTest, ListJobsHidesAStudysJobsOnlyWhenAsked) {
  Sim sim;
  sim.Submit(10, 1);
  JobSpec spec;
  spec.n = 10;
  spec.chunk_count = 1;
  spec.executor = ExecutorKind::kThreads;
  spec.labels[kStudyLabel] = "calibration";
  const JobId study = sim.SubmitSpec(spec);
  sim.Submit(10, 1);
  EXPECT_EQ(sim.scheduler().ListJobs(0, 10).size(), 3u);
  JobFilter hide;
  hide.hide_study_jobs = true;
  const auto shown = sim.scheduler().ListJobs(0, 10, hide);
  ASSERT_EQ(shown.size(), 2u);
  for (const JobView& view : shown) EXPECT_NE(view.id, study);
}

TEST(SchedulerTest, AWorkersUsageGivesItsCpuCoresAndANewProcessStartsAfresh) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2);
  auto view = [&] { return sim.scheduler().ListWorkers().at(0); };
  EXPECT_FALSE(view().usage_reported);
  ProcessUsage usage;
  usage.cpu_ns = 5'000'000'000;
  usage.resident_bytes = 12 << 20;
  usage.sampled_mono_ns = 100'000'000'000;
  ASSERT_TRUE(sim.scheduler().SetUsage(w, usage).ok());
  EXPECT_TRUE(view().usage_reported);
  EXPECT_EQ(view().usage.resident_bytes, 12 << 20);
  EXPECT_EQ(view().cpu_cores, 0) << "one report gives no rate";
  // 3 CPU-seconds in 2 s of the worker's clock, whenever the report came.
  usage.sampled_mono_ns += 2'000'000'000;
  usage.cpu_ns += 3'000'000'000;
  ASSERT_TRUE(sim.scheduler().SetUsage(w, usage).ok());
  EXPECT_DOUBLE_EQ(view().cpu_cores, 1.5);
  usage.sampled_mono_ns += 1'000'000;  // a millisecond later, hostile or not,
  usage.cpu_ns += 10'000'000'000;      // a worker never uses more CPUs than it has
  ASSERT_TRUE(sim.scheduler().SetUsage(w, usage).ok());
  EXPECT_DOUBLE_EQ(view().cpu_cores, kMaxWorkerSlots)
      << "the sim's workers say no topology: at most as many CPUs as a worker has slots";
  usage.sampled_mono_ns += 1'000'000'000;
  usage.cpu_ns = 1;  // CPU time went back: another process, not a negative rate
  ASSERT_TRUE(sim.scheduler().SetUsage(w, usage).ok());
  EXPECT_EQ(view().cpu_cores, 0);

  sim.worker(w).closed = true;
  sim.scheduler().CloseSession(w);
  ASSERT_TRUE(sim.TryAddWorker("w", 2).ok());  // a new incarnation
  EXPECT_FALSE(view().usage_reported) << "the old process's usage is not the new one's";
  EXPECT_THAT(sim.scheduler().SetUsage(w, usage), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(SchedulerTest, TheClusterStreamHoldsEveryJobsAttemptsAndGivesOnlyWhatIsNew) {
  Sim sim;
  sim.AddWorker("a", 2);
  sim.AddWorker("b", 1);
  const JobId first = sim.Submit(1'000, 10);
  const JobId second = sim.Submit(1'000, 10);
  sim.Run();
  std::vector<ClusterStream::Event> events;
  const uint64_t seen = sim.scheduler().stream().CopySince(0, &events);
  EXPECT_EQ(seen, 20u);
  ASSERT_EQ(events.size(), 20u);
  std::set<JobId> jobs;
  std::set<std::string> workers;
  for (const auto& e : events) {
    jobs.insert(e.job);
    workers.insert(sim.scheduler().WorkerName(e.worker));
  }
  EXPECT_EQ(jobs, (std::set<JobId>{first, second}));
  EXPECT_EQ(workers, (std::set<std::string>{"a", "b"}));
  events.clear();
  EXPECT_EQ(sim.scheduler().stream().CopySince(seen, &events), seen);
  EXPECT_TRUE(events.empty()) << "nothing new";
}

TEST(ClusterStreamTest, AReaderBehindTheRingGetsWhatItStillHoldsOldestFirst) {
  ClusterStream stream;
  const uint64_t total = ClusterStream::kCapacity + 10;
  for (uint64_t i = 0; i < total; ++i) {
    stream.Add(ClusterStream::Event{1, 0, 0, static_cast<int64_t>(i), 0, 0, EventOutcome::kOk});
  }
  std::vector<ClusterStream::Event> events;
  EXPECT_EQ(stream.CopySince(3, &events), total);
  ASSERT_EQ(events.size(), ClusterStream::kCapacity) << "the 13 oldest were overwritten";
  EXPECT_EQ(events.front().chunk, 10);
  EXPECT_EQ(events.back().chunk, static_cast<int64_t>(total - 1));
  events.clear();
  stream.CopySince(total - 2, &events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].chunk, static_cast<int64_t>(total - 2));
}

TEST(SchedulerTest, TheSameProcessReconnectingReplacesItsOldSession) {
  Sim sim;
  const SessionId old_session = sim.AddWorker("w", 2);
  const JobId job = sim.Submit(1'000, 10);
  ASSERT_GT(sim.held(old_session), 0);
  sim.worker(old_session).closed = true;  // its running chunks never report
  const SessionId fresh = *sim.TryAddWorker("w", 2, sim.worker(old_session).incarnation);
  EXPECT_THAT(sim.worker(old_session).close_status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(sim.scheduler().Touch(old_session), StatusIs(absl::StatusCode::kUnavailable));
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  EXPECT_GT(sim.worker(fresh).results_sent, 0);
}

TEST(SchedulerTest, SilentSessionLosesItsLeasesAfterTheTimeout) {
  SchedulerOptions options;
  options.lease_timeout_ns = 5'000'000'000;
  Sim sim(options);
  const SessionId silent = sim.AddWorker("silent", 1, 1e-9);  // would take forever
  const JobId job = sim.Submit(100, 1);
  ASSERT_EQ(sim.held(silent), 1);
  auto tick_for = [&](int64_t ns) {  // the housekeeping ticks; the worker says nothing
    for (int64_t t = 0; t < ns; t += options.housekeeping_interval_ns) {
      sim.clock().Advance(options.housekeeping_interval_ns);
      sim.scheduler().ExpireSilentSessions();
    }
  };
  tick_for(4'000'000'000);
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_running, 1);
  tick_for(2'000'000'000);
  sim.Pump();
  EXPECT_TRUE(sim.worker(silent).closed);
  EXPECT_EQ(sim.scheduler().GetJob(job)->chunks_running, 0);
  sim.AddWorker("healthy", 1);
  while (sim.scheduler().GetJob(job)->state != JobState::kSucceeded && sim.Step()) {
  }
  ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerTest, BadHelloIsRejected) {
  Sim sim;
  WorkerHello hello;
  hello.worker_id = "w";
  hello.host = "h";
  hello.incarnation = 1;
  hello.slots = 0;
  hello.threads = true;
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.slots"));
  hello.slots = 1;
  hello.threads = false;
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.executors"));
}

TEST(SchedulerTest, AThousandWorkersAndManyJobsStayExact) {
  Sim sim;
  sim.CheckInvariantsEvery(997);  // each check walks every lease
  std::vector<JobId> jobs;
  for (int i = 0; i < 1'000; ++i) sim.AddWorker("w" + std::to_string(i), 1 + i % 4, 1.0 + i % 3);
  for (int i = 0; i < 10; ++i) jobs.push_back(sim.Submit(50'000'000 + i, 10'000 + i, i % 3));
  sim.Run();
  for (JobId job : jobs) ExpectExact(sim.scheduler(), job);
}

}  // namespace
}  // namespace tminus
