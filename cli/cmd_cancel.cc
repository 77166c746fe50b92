// tminus cancel JOB
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddCancelCommand(CLI::App& app, CliContext& ctx) {
  auto job = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "cancel", "cancel a job: queued chunks are dropped, running ones interrupted");
  cmd->add_option("JOB", *job, "job id")->required();
  cmd->callback([&ctx, job] {
    absl::StatusOr<uint64_t> id = ParseJobId(*job);
    if (!id.ok()) return FailUsage(ctx, std::string(id.status().message()));
    absl::StatusOr<v1::Job> result = MakeClient(ctx).Cancel(*id);
    if (!result.ok()) return Fail(ctx, result.status());
    std::cout << "job " << result->id() << ": " << StateName(result->state()) << "\n";
  });
}

}  // namespace tminus
