// tminus demo: a local cluster (one coordinator, one worker, on 127.0.0.1
// ephemeral ports), the same job at 1 slot and at all slots with each
// executor, and the timing table. Stops what it started, also on failure.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/local_cluster.h"
#include "cli/scale.h"
#include "cli/views.h"
#include "common/parse_count.h"
#include "common/rpc.h"

namespace tminus {
namespace {

// Blocks until SIGINT or SIGTERM (the cluster is then stopped as usual).
void WaitForInterrupt() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int received = 0;
  sigwait(&signals, &received);
}

struct DemoFlags {
  std::string n = "4e9";
  int chunks = 64;
  int slots = 0;
  int repeat = 2;
  std::string out = "tminus-demo";
  bool keep = false;
};

int RunDemo(CliContext& ctx, const DemoFlags& flags) {
  absl::StatusOr<int64_t> n = ParseCount(flags.n, "--n");
  if (!n.ok() || *n < flags.chunks) {
    FailUsage(ctx, n.ok() ? "--n: must be at least --chunks" : std::string(n.status().message()));
    return ctx.exit_code;
  }
  const int slots = flags.slots > 0 ? flags.slots : OnlineCpus();
  LocalClusterOptions options;
  options.bin_dir = LocalCluster::SelfDir();
  // The cluster's logs and state live beside the plot, where they outlast
  // the demo; each run starts from a fresh cluster/ folder.
  std::error_code error;
  const std::filesystem::path work_dir = std::filesystem::absolute(flags.out, error) / "cluster";
  std::filesystem::remove_all(work_dir, error);
  std::filesystem::create_directories(work_dir, error);
  if (error) {
    FailUsage(ctx, absl::StrCat("--out: cannot create ", work_dir.string(), ": ", error.message()));
    return ctx.exit_code;
  }
  options.work_dir = work_dir.string();
  options.dashboard = true;
  std::cout << "Starting a local cluster: 1 coordinator, 1 worker with " << slots
            << " slots (logs in " << options.work_dir << ")\n";
  absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
  if (!cluster.ok()) return Fail(ctx, cluster.status()), ctx.exit_code;
  // On a failure below the logs stay for a look; a clean run removes them.
  absl::Status ready = (*cluster)->AddWorker("demo-worker", slots).status();
  if (ready.ok()) ready = (*cluster)->WaitForWorkers(1, std::chrono::seconds(15));
  if (!ready.ok()) return Fail(ctx, ready), ctx.exit_code;
  std::cout << "Coordinator at " << (*cluster)->address() << "; watch it live on the dashboard "
            << (*cluster)->dashboard_url() << " while the demo runs (--keep leaves it up after)"
            << "\nThe same job (n=" << *n << ", " << flags.chunks
            << " chunks) at 1 slot and at " << slots << " slots, with each executor:\n";

  JobClient client((*cluster)->address());
  ScaleOptions study_options;
  study_options.n = *n;
  study_options.chunk_count = flags.chunks;
  // The default slot list: powers of two, all slots, and the physical cores.
  study_options.executors = {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES};
  study_options.repeat = flags.repeat;
  absl::StatusOr<ScaleStudy> study = RunScaleStudy(
      client, study_options, [](const std::string& line) { std::cout << "  " << line << "\n"; });
  if (!study.ok()) return Fail(ctx, study.status()), ctx.exit_code;
  std::cout << "\n";
  PrintScaleTable(*study, std::cout);
  if (absl::Status written = WriteScaleFiles(*study, flags.out); written.ok()) {
    std::cout << "\nEvery job finished with decrements == n. Plot and data: " << flags.out
              << "/scale.svg, scale.csv, scale.json\n";
  } else {
    std::cerr << "tminus: " << written.message() << "\n";
  }
  (void)client.RecordStudy(StudyProto(*study, flags.repeat, "tminus demo"));
  if (flags.keep) {
    std::cout << "\nThe cluster stays up: dashboard " << (*cluster)->dashboard_url()
              << ", coordinator " << (*cluster)->address() << ". Ctrl-C stops it.\n";
    WaitForInterrupt();
  }
  const bool clean = (*cluster)->Stop();
  std::cout << "Stopped the local cluster" << (clean ? "" : " (a process did not exit 0)")
            << "; its logs are in " << options.work_dir
            << ". The dashboard went with it: --keep leaves it up.\n";
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<DemoFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "start a local coordinator and worker, run one job at 1, 2, 4, ... slots with "
              "each executor, print the speedup table and leave the plot behind");
  cmd->add_option("-n,--n", flags->n, "decrements per job")->capture_default_str();
  cmd->add_option("--chunks", flags->chunks, "chunks per job")->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--slots", flags->slots, "worker slots (default: online CPUs)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--repeat", flags->repeat, "runs per point (median reported)")
      ->capture_default_str()->check(CLI::Range(1, 20));
  cmd->add_option("--out", flags->out,
                  "folder for the plot (scale.svg), its data, and the cluster's logs and state "
                  "(its cluster/ subfolder, replaced on each run)")
      ->capture_default_str();
  cmd->add_flag("--keep", flags->keep,
                "leave the cluster and its dashboard running after the study, until Ctrl-C");
  cmd->callback([&ctx, flags] { ctx.exit_code = RunDemo(ctx, *flags); });
}

}  // namespace tminus
