// Benchmark 6b: the scheduling core alone, no gRPC, no threads: W simulated
// workers (each 2 credits, answering every lease at once) and jobs of C
// chunks in all. Prints scheduling decisions per second (a decision = one
// chunk leased and its result accepted), side by side in one run:
//  - plain: one job, any worker;
//  - placed: the workers labelled into 8 zones, 8 jobs each selecting a
//    zone (and one of them also naming 16 workers), the same C chunks;
// and the ratio of their costs (issue 13's target: placed at most 2x).
//   core_sim [WORKERS (default 10000)] [CHUNKS (default 1e7)]
#include <unistd.h>

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/sim_jobs.h"
#include "common/clock.h"
#include "coordinator/core/scheduler.h"

namespace {

using namespace tminus;

constexpr int kZones = 8;

struct Run {
  double seconds = 0;
  int64_t decisions = 0;
};

// Feeds every lease straight back as its result, until the jobs are done.
Run Drive(Scheduler& scheduler, const std::vector<JobId>& jobs, int64_t chunks) {
  const double start = bench::NowSeconds();
  Run run;
  // Results of no duration, as before: no timing work on the measured path.
  while (const int64_t answered = bench::AnswerLeases(scheduler, 1, 0)) run.decisions += answered;
  run.seconds = bench::NowSeconds() - start;
  int64_t done = 0;
  for (JobId job : jobs) {
    const JobReport report = *scheduler.GetReport(job);
    if (report.job.state != JobState::kSucceeded || report.job.decrements_done != report.job.spec.n) {
      std::cerr << "bench: job " << job << " not exact\n";
      std::exit(1);
    }
    done += report.job.decrements_done;
  }
  if (done != chunks) {
    std::cerr << "bench: " << done << " decrements, expected " << chunks << "\n";
    std::exit(1);
  }
  return run;
}

void AddWorkers(Scheduler& scheduler, int workers, bool labelled) {
  for (int i = 0; i < workers; ++i) {
    WorkerHello hello;
    hello.worker_id = absl::StrCat("sim-", i);
    hello.incarnation = static_cast<uint64_t>(i) + 1;
    hello.host = "sim";
    hello.slots = 1;
    hello.threads = true;
    if (labelled) {
      hello.labels = {{"zone", absl::StrCat("z", i % kZones)}, {"host", hello.worker_id},
                      {"arch", "x86_64"}, {"executors", "threads"}};
    }
    const SessionId id = *scheduler.OpenSession(hello);
    (void)scheduler.AddCredits(id, 2);
  }
}

JobSpec Spec(int64_t chunks) {
  JobSpec spec;
  spec.n = chunks;
  spec.chunk_count = chunks;
  spec.executor = ExecutorKind::kThreads;
  return spec;
}

Run Plain(int workers, int64_t chunks) {
  Scheduler scheduler(RealClock::Get(), SchedulerOptions{});
  AddWorkers(scheduler, workers, false);
  const JobId job = *scheduler.Submit(Spec(chunks), "");
  return Drive(scheduler, {job}, chunks);
}

Run Placed(int workers, int64_t chunks) {
  Scheduler scheduler(RealClock::Get(), SchedulerOptions{});
  AddWorkers(scheduler, workers, true);
  std::vector<JobId> jobs;
  for (int zone = 0; zone < kZones; ++zone) {
    JobSpec spec = Spec(chunks / kZones + (zone < chunks % kZones ? 1 : 0));
    spec.selector = {{"zone", absl::StrCat("z", zone)}};
    if (zone == 0) {
      for (int i = 0; i < 16 * kZones; i += kZones) spec.workers.push_back(absl::StrCat("sim-", i));
    }
    jobs.push_back(*scheduler.Submit(spec, ""));
  }
  return Drive(scheduler, jobs, chunks);
}

}  // namespace

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const auto chunks = static_cast<int64_t>(argc > 2 ? std::atof(argv[2]) : 1e7);
  const Run plain = Plain(workers, chunks);
  const Run placed = Placed(workers, chunks);
  const auto line = [&](const char* what, const Run& run) {
    std::cout << absl::StrFormat("core alone, %-7s %d workers, %d chunks in %.2f s: %.0f "
                                 "decisions/s (lease + accept), %.0f ns each\n",
                                 what, workers, chunks, run.seconds, run.decisions / run.seconds,
                                 run.seconds / run.decisions * 1e9);
  };
  line("plain:", plain);
  line("placed:", placed);
  std::cout << absl::StrFormat(
      "placed / plain cost per decision: %.2fx (8 zone selectors, one job also naming 16 "
      "workers); peak RSS %.1f MB\n",
      (placed.seconds / placed.decisions) / (plain.seconds / plain.decisions),
      bench::PeakRssBytes(getpid()) / 1e6);
  return 0;
}
