// Placement in the scheduling core (issue 13): selectors, named workers,
// per-worker caps, the waiting reason, and parked sessions. Fake clock and
// simulated workers; no sockets.
#include <gtest/gtest.h>

#include <set>

#include "coordinator/core/scheduler.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/scheduler_sim.h"

namespace tminus {
namespace {

using ::tminus::testing::ExpectExact;
using ::tminus::testing::FakeClock;
using ::tminus::testing::Sim;
using ::tminus::testing::SimResult;
using ::tminus::testing::StatusIs;

JobSpec Spec(int64_t n, int64_t chunks, Labels selector = {},
             std::vector<std::string> workers = {}) {
  JobSpec spec;
  spec.n = n;
  spec.chunk_count = chunks;
  spec.executor = ExecutorKind::kThreads;
  spec.selector = std::move(selector);
  spec.workers = std::move(workers);
  return spec;
}

// The workers that ran accepted chunks of the job.
std::set<std::string> RanOn(const Scheduler& scheduler, JobId job) {
  std::set<std::string> names;
  const JobReport report = *scheduler.GetReport(job);
  for (const WorkerReport& worker : report.workers) {
    if (worker.chunks > 0) names.insert(worker.worker_id);
  }
  return names;
}

TEST(SchedulerPlacementTest, AJobRunsOnlyOnWorkersItsSelectorMatches) {
  Sim sim;
  sim.AddLabelledWorker("a1", 2, {{"zone", "a"}});
  sim.AddLabelledWorker("a2", 2, {{"zone", "a"}});
  sim.AddLabelledWorker("b1", 1, {{"zone", "b"}, {"disk", "ssd"}});
  const JobId job = sim.SubmitSpec(Spec(1'000'000, 100, {{"zone", "b"}}));
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(RanOn(sim.scheduler(), job), (std::set<std::string>{"b1"}));
}

TEST(SchedulerPlacementTest, MixedJobsShareTheClusterEachWhereItMayRun) {
  Sim sim;
  sim.AddLabelledWorker("a1", 2, {{"zone", "a"}});
  sim.AddLabelledWorker("a2", 2, {{"zone", "a"}});
  sim.AddLabelledWorker("b1", 2, {{"zone", "b"}});
  sim.AddLabelledWorker("b2", 2, {{"zone", "b"}, {"gpu", "1"}});
  const JobId on_a = sim.SubmitSpec(Spec(2'000'000, 200, {{"zone", "a"}}));
  const JobId on_gpu = sim.SubmitSpec(Spec(500'000, 50, {{"zone", "b"}, {"gpu", "1"}}));
  const JobId named = sim.SubmitSpec(Spec(500'000, 50, {}, {"a2", "b1"}));
  const JobId anywhere = sim.SubmitSpec(Spec(2'000'000, 200));
  sim.Run();
  for (JobId job : {on_a, on_gpu, named, anywhere}) ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(RanOn(sim.scheduler(), on_a), (std::set<std::string>{"a1", "a2"}));
  EXPECT_EQ(RanOn(sim.scheduler(), on_gpu), (std::set<std::string>{"b2"}));
  for (const std::string& name : RanOn(sim.scheduler(), named)) {
    EXPECT_TRUE(name == "a2" || name == "b1") << name;
  }
  EXPECT_GE(RanOn(sim.scheduler(), anywhere).size(), 2u);  // spread, not confined
}

TEST(SchedulerPlacementTest, AJobNoWorkerMatchesWaitsWithAReasonAndStartsWhenOneJoins) {
  Sim sim;
  sim.AddLabelledWorker("a1", 2, {{"zone", "a"}});
  const JobId job = sim.SubmitSpec(Spec(100'000, 10, {{"zone", "b"}}));
  const JobId other = sim.SubmitSpec(Spec(100'000, 10));
  sim.Run();
  ExpectExact(sim.scheduler(), other);  // the waiting job blocks nobody
  JobView view = *sim.scheduler().GetJob(job);
  EXPECT_EQ(view.state, JobState::kQueued);
  EXPECT_EQ(view.waiting_reason, "no connected worker matches zone=b");
  EXPECT_EQ(sim.scheduler().ListJobs(0, 10)[1].waiting_reason, view.waiting_reason);

  sim.AddLabelledWorker("b1", 1, {{"zone", "b"}});
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kRunning);
  EXPECT_EQ(sim.scheduler().GetJob(job)->waiting_reason, "");
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(RanOn(sim.scheduler(), job), (std::set<std::string>{"b1"}));
}

TEST(SchedulerPlacementTest, TheWaitingReasonNamesWorkersAndMissingExecutors) {
  Sim sim;
  sim.AddWorker("t1", 1, 1.0, 1, /*threads=*/true, /*processes=*/false);
  const JobId named = sim.SubmitSpec(Spec(100, 1, {{"rack", "r1"}}, {"x", "y"}));
  EXPECT_EQ(sim.scheduler().GetJob(named)->waiting_reason,
            "no connected worker matches rack=r1 workers=x|y");
  JobSpec processes = Spec(100, 1);
  processes.executor = ExecutorKind::kProcesses;
  const JobId job = sim.SubmitSpec(processes);
  EXPECT_EQ(sim.scheduler().GetJob(job)->waiting_reason,
            "no connected worker runs the processes executor");
  Sim empty;
  const JobId alone = empty.SubmitSpec(Spec(100, 1));
  EXPECT_EQ(empty.scheduler().GetJob(alone)->waiting_reason, "no worker is connected");
}

JobSpec PythonSpec(int64_t n, int64_t chunks) {
  JobSpec spec = Spec(n, chunks);
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kPython;
  kernel->source = "def f(start, count):\n    return count\n";
  kernel->function = "f";
  spec.kernel = kernel;
  return spec;
}

TEST(SchedulerPlacementTest, AClientKernelRunsOnlyWhereAllowedWithItsDefinitionSentOnce) {
  Sim sim;
  const SessionId plain = sim.AddWorker("plain", 2);
  const JobId job = sim.SubmitSpec(PythonSpec(1'000'000, 40));
  EXPECT_EQ(sim.scheduler().GetJob(job)->waiting_reason,
            "no connected worker runs the python kernel on the threads executor (workers run "
            "it only when started with --allow-kernels python)");
  EXPECT_EQ(sim.held(plain), 0);
  const SessionId allowed =
      sim.AddKernelWorker("py", 2, KernelBit(KernelKind::kCountdown) | KernelBit(KernelKind::kPython));
  const JobId countdown = sim.SubmitSpec(Spec(1'000'000, 40));
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  ExpectExact(sim.scheduler(), countdown);
  EXPECT_EQ(RanOn(sim.scheduler(), job), (std::set<std::string>{"py"}));
  // One definition for forty leases, none for the countdown, and a forget
  // once the job ended.
  EXPECT_EQ(sim.worker(allowed).kernels_seen, std::vector<JobId>{job});
  EXPECT_EQ(sim.worker(allowed).leases_without_kernel, 0);
  EXPECT_EQ(sim.worker(allowed).forgets_seen, std::vector<JobId>{job});
  EXPECT_TRUE(sim.worker(plain).kernels_seen.empty());
}

TEST(SchedulerPlacementTest, ACommandJobIsNeverOfferedToAWorkerThatAllowsOnlyPython) {
  Sim sim;
  sim.AddKernelWorker("py", 2, KernelBit(KernelKind::kPython));
  JobSpec spec = Spec(100, 4);
  spec.executor = ExecutorKind::kProcesses;
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kCommand;
  kernel->argv = {"/bin/true"};
  spec.kernel = kernel;
  const JobId job = sim.SubmitSpec(spec);
  sim.Run();
  EXPECT_EQ(sim.scheduler().GetJob(job)->state, JobState::kQueued);
  EXPECT_NE(sim.scheduler().GetJob(job)->waiting_reason.find("--allow-kernels command"),
            std::string::npos);
}

TEST(SchedulerPlacementTest, MaxSlotsPerWorkerSpreadsTheJob) {
  Sim sim;
  const SessionId w1 = sim.AddWorker("w1", 4, 1.0, /*prefetch=*/4);
  const SessionId w2 = sim.AddWorker("w2", 4, 1.0, /*prefetch=*/4);
  JobSpec spec = Spec(1'000'000, 100);
  spec.max_slots = 3;
  spec.max_slots_per_worker = 2;
  const JobId job = sim.SubmitSpec(spec);
  // At most 2 may run on each (the worker enforces it), 3 in all; one more
  // share each waits at the worker (prefetch).
  EXPECT_GE(sim.held(w1), 1);
  EXPECT_GE(sim.held(w2), 1);
  EXPECT_LE(sim.held(w1), 4);
  EXPECT_LE(sim.held(w2), 4);
  sim.Run();  // checks running_bound <= max_slots after every step
  ExpectExact(sim.scheduler(), job);
  EXPECT_LE(sim.peak_running(job), 3);
  EXPECT_LE(sim.worker(w1).max_leases_held, 4);
  EXPECT_LE(sim.worker(w2).max_leases_held, 4);
}

// max_slots caps what may run, not what waits at a worker: a 1-slot job
// still gets its next chunk before the current one ends.
TEST(SchedulerPlacementTest, MaxSlotsLeavesRoomForPrefetch) {
  Sim sim;
  const SessionId one = sim.AddWorker("one", 1, 1.0, /*prefetch=*/1);
  const SessionId other = sim.AddWorker("other", 1, 1.0, /*prefetch=*/1);
  JobSpec spec = Spec(1'000'000, 100);
  spec.max_slots = 1;
  const JobId job = sim.SubmitSpec(spec);
  EXPECT_EQ(sim.held(one) + sim.held(other), 2);  // one runs, one waits behind it
  EXPECT_TRUE(sim.held(one) == 0 || sim.held(other) == 0);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerPlacementTest, BackupsOfStragglersStayWhereTheJobMayRun) {
  Sim sim;
  sim.AddLabelledWorker("slow-b", 1, {{"zone", "b"}}, /*speed=*/0.001);
  sim.AddLabelledWorker("fast-a", 4, {{"zone", "a"}}, /*speed=*/1000);
  sim.AddLabelledWorker("fast-b", 1, {{"zone", "b"}}, /*speed=*/1000);
  const JobId job = sim.SubmitSpec(Spec(40'000'000, 4, {{"zone", "b"}}));
  while (sim.StepTicking()) {
  }
  ExpectExact(sim.scheduler(), job);
  EXPECT_EQ(RanOn(sim.scheduler(), job).count("fast-a"), 0u);
  EXPECT_GT(sim.scheduler().GetReport(job)->counters.backups, 0);  // on fast-b
}

// Without a bump of the queue when a capped job's lease ends, a parked
// session would never hear of the room: the job would stall.
TEST(SchedulerPlacementTest, AParkedSessionTakesACappedJobsRoomWhenALeaseEnds) {
  FakeClock clock;
  Scheduler scheduler(&clock, SchedulerOptions{});
  WorkerHello hello;
  hello.host = "sim";
  hello.slots = 1;
  hello.threads = true;
  hello.worker_id = "first";
  hello.incarnation = 1;
  const SessionId first = *scheduler.OpenSession(hello);
  hello.worker_id = "second";
  hello.incarnation = 2;
  const SessionId second = *scheduler.OpenSession(hello);
  TMINUS_ASSERT_OK(scheduler.AddCredits(first, 1));
  JobSpec spec = Spec(2, 2);
  spec.max_slots = 1;
  const JobId job = *scheduler.Submit(spec, "");
  TMINUS_ASSERT_OK(scheduler.AddCredits(second, 1));  // no room: parked
  std::map<SessionId, std::vector<LeaseGrant>> leases;
  const auto drain = [&] {
    leases.clear();
    scheduler.DrainOutboxes([&](SessionId id, Outbox out) { leases[id] = out.leases; });
  };
  drain();
  ASSERT_EQ(leases[first].size(), 1u);
  // The first worker drains: its result comes back with no new credit.
  TMINUS_ASSERT_OK(scheduler.SetDraining(first));
  const LeaseGrant lease = leases[first][0];
  TMINUS_ASSERT_OK(
      scheduler.OnResults(first, {SimResult(job, lease.chunk, lease.attempt, lease.count)}));
  drain();
  ASSERT_EQ(leases[second].size(), 1u) << "the parked session was not offered the room";
  const LeaseGrant next = leases[second][0];
  TMINUS_ASSERT_OK(
      scheduler.OnResults(second, {SimResult(job, next.chunk, next.attempt, next.count)}));
  ExpectExact(scheduler, job);
  TMINUS_EXPECT_OK(scheduler.CheckInvariants());
}

TEST(SchedulerPlacementTest, UnplaceableJobsAreSetAsideAndComeBackWhenAWorkerFitsThem) {
  Sim sim;
  sim.CheckInvariantsEvery(1000);
  sim.AddWorker("plain", 2);
  std::vector<JobId> waiting;
  for (int i = 0; i < 2'000; ++i) {
    JobSpec spec = Spec(10, 1, {{"gpu", "yes"}});
    spec.priority = 5;  // ahead of the job that can run: dispatch would walk them all
    waiting.push_back(sim.SubmitSpec(spec));
  }
  const JobId runnable = sim.SubmitSpec(Spec(100'000, 1'000));
  sim.Run();
  ExpectExact(sim.scheduler(), runnable);
  EXPECT_EQ(sim.scheduler().GetJob(waiting.front())->state, JobState::kQueued);
  sim.AddLabelledWorker("gpu1", 2, {{"gpu", "yes"}});
  sim.Run();
  for (JobId job : waiting) ExpectExact(sim.scheduler(), job);
}

TEST(SchedulerPlacementTest, BadPlacementIsRefusedNamingTheField) {
  Sim sim;
  EXPECT_THAT(sim.scheduler().Submit(Spec(10, 1, {{"zone!", "a"}}), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "selector: label key 'zone!'"));
  EXPECT_THAT(sim.scheduler().Submit(Spec(10, 1, {}, {"w", "w"}), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "workers: 'w' given twice"));
  EXPECT_THAT(sim.scheduler().Submit(Spec(10, 1, {}, {"has space"}), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "workers: only visible ASCII"));
  JobSpec capped = Spec(10, 1);
  capped.max_slots_per_worker = -1;
  EXPECT_THAT(sim.scheduler().Submit(capped, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "max_slots_per_worker"));
  std::vector<std::string> many(257);
  for (size_t i = 0; i < many.size(); ++i) many[i] = "w" + std::to_string(i);
  EXPECT_THAT(sim.scheduler().Submit(Spec(10, 1, {}, many), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "workers: at most 256 names, got 257"));
}

TEST(SchedulerPlacementTest, BadLabelsOrTopologyInAHelloAreRefused) {
  Sim sim;
  WorkerHello hello;
  hello.worker_id = "w";
  hello.incarnation = 1;
  hello.host = "h";
  hello.slots = 1;
  hello.threads = true;
  hello.labels = {{"zone", "a,b"}};
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.labels: the value of 'zone'"));
  hello.labels = {};
  hello.topology.logical_cpus = -4;
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.topology.logical_cpus"));
  hello.topology.logical_cpus = 4;
  hello.topology.cpu_model = "bad\nmodel";
  EXPECT_THAT(sim.scheduler().OpenSession(hello),
              StatusIs(absl::StatusCode::kInvalidArgument, "hello.topology"));
}

}  // namespace
}  // namespace tminus
