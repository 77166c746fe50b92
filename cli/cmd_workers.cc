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
