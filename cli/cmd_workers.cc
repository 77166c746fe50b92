// tminus workers
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddWorkersCommand(CLI::App& app, CliContext& ctx) {
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand("workers", "list the workers the coordinator knows");
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, output] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<v1::ListWorkersResponse> workers = MakeClient(ctx).Workers();
    if (!workers.ok()) return Fail(ctx, workers.status());
    PrintWorkers(*workers, format, std::cout);
  });
}

}  // namespace tminus

namespace tminus {
namespace {

void AddDrainCommand(CLI::App& app, CliContext& ctx, bool undrain) {
  auto worker = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand(
      undrain ? "undrain" : "drain",
      undrain ? "let a drained worker take leases again (admin token)"
              : "drain a worker (admin token): no new leases, its queued chunks are handed "
                "back, its running chunks finish; it stays connected until `tminus undrain`");
  cmd->add_option("WORKER", *worker, "worker name, as `tminus workers` shows it")->required();
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, worker, output, undrain] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<v1::WorkerInfo> info = MakeClient(ctx).DrainWorker(*worker, undrain);
    if (!info.ok()) return Fail(ctx, info.status());
    v1::ListWorkersResponse one;
    *one.add_workers() = *info;
    PrintWorkers(one, format, std::cout);
  });
}

}  // namespace

void AddDrainCommands(CLI::App& app, CliContext& ctx) {
  AddDrainCommand(app, ctx, /*undrain=*/false);
  AddDrainCommand(app, ctx, /*undrain=*/true);
}

}  // namespace tminus
