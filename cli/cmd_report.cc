// tminus report JOB: the timing report (also for a job still running).
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddReportCommand(CLI::App& app, CliContext& ctx) {
  auto job = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand(
      "report", "the timing report: wall, busy, speedup, efficiency, per worker and slot");
  cmd->add_option("JOB", *job, "job id")->required();
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, job, output] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<uint64_t> id = ParseJobId(*job);
    if (!id.ok()) return FailUsage(ctx, std::string(id.status().message()));
    absl::StatusOr<v1::JobReport> report = MakeClient(ctx).Report(*id);
    if (!report.ok()) return Fail(ctx, report.status());
    PrintReport(*report, format, std::cout);
  });
}

}  // namespace tminus
