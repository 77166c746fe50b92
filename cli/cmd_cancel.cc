// tminus cancel JOB...
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddCancelCommand(CLI::App& app, CliContext& ctx) {
  auto jobs = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "cancel", "cancel jobs: queued chunks are dropped, running ones interrupted");
  cmd->add_option("JOB", *jobs, "job ids (several: each is cancelled even if another fails; "
                                "the exit code is the last failure's)")->required();
  cmd->callback([&ctx, jobs] {
    absl::StatusOr<std::vector<uint64_t>> ids = ParseJobIds(*jobs);
    if (!ids.ok()) return FailUsage(ctx, std::string(ids.status().message()));
    JobClient client = MakeClient(ctx);
    for (uint64_t id : *ids) {
      absl::StatusOr<v1::Job> result = client.Cancel(id);
      if (!result.ok()) {
        Fail(ctx, result.status());
        continue;
      }
      std::cout << "job " << result->id() << ": " << StateName(result->state()) << "\n";
    }
  });
}

}  // namespace tminus
