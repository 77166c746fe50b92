// tminus demo: a local cluster (one coordinator, one worker, on 127.0.0.1
// ephemeral ports), the same job at 1 slot and at all slots with each
// executor, and the timing table. Stops what it started, also on failure.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

// The cluster's logs and state live beside the plot, in OUT/cluster, where
// they outlast the demo. Each run starts from a fresh folder: one an earlier
// demo made (it holds kMarker) is replaced; any other is left alone.
absl::StatusOr<std::string> FreshClusterDir(const std::string& out) {
  constexpr const char* kMarker = ".tminus-demo";
  if (out.empty()) return absl::InvalidArgumentError("--out: must not be empty");
  std::error_code error;
  const std::filesystem::path dir = std::filesystem::absolute(out, error) / "cluster";
  if (error) return absl::InvalidArgumentError(absl::StrCat("--out: ", error.message()));
  if (std::filesystem::exists(dir, error)) {
    if (!std::filesystem::exists(dir / kMarker, error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--out: ", dir.string(), " exists and is not an earlier demo's; choose another --out"));
    }
    std::filesystem::remove_all(dir, error);
    if (error) {
      return absl::InvalidArgumentError(
          absl::StrCat("--out: cannot remove the earlier ", dir.string(), ": ", error.message()));
    }
  }
  std::filesystem::create_directories(dir, error);
  if (error || !std::ofstream(dir / kMarker)) {
    return absl::InvalidArgumentError(absl::StrCat("--out: cannot create ", dir.string(),
                                                   error ? ": " + error.message() : ""));
  }
  return dir.string();
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
  absl::StatusOr<std::string> work_dir = FreshClusterDir(flags.out);
  if (!work_dir.ok()) {
    FailUsage(ctx, std::string(work_dir.status().message()));
    return ctx.exit_code;
  }
  options.work_dir = *work_dir;
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
