// tminus demo: a local cluster (one coordinator, one worker, on 127.0.0.1
// ephemeral ports), the same job at 1 slot and at all slots with each
// executor, and the timing table. Stops what it started, also on failure.
#include <unistd.h>

#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/local_cluster.h"
#include "cli/views.h"
#include "common/parse_count.h"
#include "common/rpc.h"

namespace tminus {
namespace {

struct DemoFlags {
  std::string n = "6e9";
  int chunks = 64;
  int slots = 0;
  std::string work_dir;
};

struct DemoRun {
  std::string executor;
  int slots;
  v1::JobReport report;
};

absl::StatusOr<v1::JobReport> RunJob(JobClient& client, int64_t n, int chunks,
                                     v1::Executor executor, int max_slots) {
  v1::SubmitJobRequest request;
  v1::JobSpec* spec = request.mutable_spec();
  spec->set_n(n);
  spec->set_chunk_count(chunks);
  spec->set_executor(executor);
  spec->set_max_slots(max_slots);
  spec->set_name(absl::StrCat("demo-", ExecutorLabel(executor), "-", max_slots));
  absl::StatusOr<v1::Job> job = client.Submit(request);
  if (!job.ok()) return job.status();
  absl::StatusOr<v1::WatchJobResponse> last = client.Watch(job->id(), 200, [](const auto&) {});
  if (!last.ok()) return last.status();
  return client.Report(job->id());
}

void PrintTable(const std::vector<DemoRun>& runs) {
  Table table({"EXECUTOR", "SLOTS", "WALL", "BUSY", "SPEEDUP", "EFFICIENCY", "RATE/s", "EXACT"});
  for (const DemoRun& run : runs) {
    // Speedup against the same executor's 1-slot run, measured in this demo.
    double base = 0;
    for (const DemoRun& other : runs) {
      if (other.executor == run.executor && other.slots == 1) base = other.report.wall_ns();
    }
    const double speedup = run.report.wall_ns() > 0 ? base / run.report.wall_ns() : 0;
    table.AddRow({run.executor, absl::StrCat(run.slots), FormatDuration(run.report.wall_ns()),
                  FormatDuration(run.report.busy_ns()), FormatRatio(speedup),
                  FormatPercent(speedup / run.slots),
                  FormatSi(run.report.decrements_per_second()),
                  run.report.decrements() == run.report.n() ? "yes" : "NO"});
  }
  table.PrintAligned(std::cout);
}

int RunDemo(CliContext& ctx, const DemoFlags& flags) {
  absl::StatusOr<int64_t> n = ParseCount(flags.n, "--n");
  if (!n.ok() || *n < flags.chunks) {
    FailUsage(ctx, n.ok() ? "--n: must be at least --chunks" : std::string(n.status().message()));
    return ctx.exit_code;
  }
  const int slots = flags.slots > 0 ? flags.slots : OnlineCpus();
  LocalClusterOptions options;
  options.bin_dir = LocalCluster::SelfDir();
  options.work_dir = !flags.work_dir.empty()
                         ? flags.work_dir
                         : absl::StrFormat("/tmp/tminus-demo-%d", static_cast<int>(getpid()));
  std::cout << "Starting a local cluster: 1 coordinator, 1 worker with " << slots
            << " slots (logs in " << options.work_dir << ")\n";
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  if (!cluster.ok()) return Fail(ctx, cluster.status()), ctx.exit_code;
  absl::Status ready = (*cluster)->AddWorker("demo-worker", slots).status();
  if (ready.ok()) ready = (*cluster)->WaitForWorkers(1, std::chrono::seconds(15));
  if (!ready.ok()) return Fail(ctx, ready), ctx.exit_code;
  std::cout << "Coordinator at " << (*cluster)->address() << ". Job: n=" << *n << " in "
            << flags.chunks << " chunks.\n\n";

  JobClient client((*cluster)->address());
  std::vector<DemoRun> runs;
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    for (int max_slots : {1, slots}) {
      std::cout << "  running " << ExecutorLabel(executor) << " at " << max_slots
                << (max_slots == 1 ? " slot ...\n" : " slots ...\n") << std::flush;
      absl::StatusOr<v1::JobReport> report = RunJob(client, *n, flags.chunks, executor, max_slots);
      if (!report.ok()) return Fail(ctx, report.status()), ctx.exit_code;
      if (report->state() != v1::JOB_STATE_SUCCEEDED) {
        std::cerr << "tminus: demo job failed: " << report->error() << "\n";
        return kExitJobFailed;
      }
      runs.push_back({ExecutorLabel(executor), max_slots, *report});
    }
  }
  std::cout << "\n";
  PrintTable(runs);
  std::cout << "\nThe last job's report:\n";
  PrintReport(runs.back().report, OutputFormat::kTable, std::cout);
  const bool clean = (*cluster)->Stop();
  std::cout << "\nStopped the local cluster" << (clean ? "." : " (a process did not exit 0).")
            << "\n";
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "start a local coordinator and worker, run one job at 1 slot and at all slots "
              "with each executor, print the speedup");
  cmd->add_option("-n,--n", flags->n, "decrements per job")->capture_default_str();
  cmd->add_option("--chunks", flags->chunks, "chunks per job")->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--slots", flags->slots, "worker slots (default: online CPUs)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--work-dir", flags->work_dir, "where logs go (default /tmp/tminus-demo-PID)");
  cmd->callback([&ctx, flags] { ctx.exit_code = RunDemo(ctx, *flags); });
}

}  // namespace tminus
