// tminus watch JOB: live progress until the job ends.
#include <unistd.h>

#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddWatchCommand(CLI::App& app, CliContext& ctx) {
  auto job = std::make_shared<std::string>();
  auto interval_ms = std::make_shared<int>(0);
  CLI::App* cmd = app.add_subcommand(
      "watch", "show live progress until the job ends (plain lines when not on a terminal)");
  cmd->add_option("JOB", *job, "job id")->required();
  cmd->add_option("--interval-ms", *interval_ms,
                  "between updates (default 250 on a terminal, 1000 otherwise)");
  cmd->callback([&ctx, job, interval_ms] {
    absl::StatusOr<uint64_t> id = ParseJobId(*job);
    if (!id.ok()) return FailUsage(ctx, std::string(id.status().message()));
    const bool terminal = isatty(STDOUT_FILENO);
    const int interval = *interval_ms != 0 ? *interval_ms : (terminal ? 250 : 1000);
    JobClient client = MakeClient(ctx);
    ProgressView view(std::cout, terminal);
    absl::StatusOr<v1::WatchJobResponse> last =
        client.Watch(*id, interval, [&](const v1::WatchJobResponse& s) { view.Update(s); });
    if (!last.ok()) return Fail(ctx, last.status());
    view.Done();
    const v1::JobState state = last->job().state();
    if (state != v1::JOB_STATE_SUCCEEDED) {
      if (!last->job().error().empty()) std::cerr << "tminus: " << last->job().error() << "\n";
      ctx.exit_code = kExitJobFailed;
    }
  });
}

}  // namespace tminus
