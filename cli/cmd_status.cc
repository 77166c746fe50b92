// tminus status JOB
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddStatusCommand(CLI::App& app, CliContext& ctx) {
  auto job = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand("status", "show one job's state and progress");
  cmd->add_option("JOB", *job, "job id")->required();
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, job, output] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<uint64_t> id = ParseJobId(*job);
    if (!id.ok()) return FailUsage(ctx, std::string(id.status().message()));
    absl::StatusOr<v1::Job> result = MakeClient(ctx).Get(*id);
    if (!result.ok()) return Fail(ctx, result.status());
    PrintJob(*result, format, std::cout);
  });
}

}  // namespace tminus
