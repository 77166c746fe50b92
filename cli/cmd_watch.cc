// tminus watch JOB: live progress until the job ends.
#include <unistd.h>

#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/follow.h"
#include "cli/views.h"

namespace tminus {

void AddWatchCommand(CLI::App& app, CliContext& ctx) {
  auto job = std::make_shared<std::string>();
  auto interval_ms = std::make_shared<int>(0);
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand(
      "watch", "show live progress until the job ends (plain lines when not on a terminal); "
               "holds one of the watch streams a client may have open at once (64 unless the "
               "coordinator's --max-watches-per-client says otherwise)");
  cmd->add_option("JOB", *job, "job id")->required();
  cmd->add_option("--interval-ms", *interval_ms,
                  "milliseconds between updates, 50..60000 (default: 250 on a terminal, 1000 "
                  "otherwise)")
      ->check(CLI::Range(50, 60000));
  cmd->add_option("-o,--output,--format", *output,
                  "table (a live view on a terminal, key=value lines otherwise), json (JSON "
                  "lines, one snapshot a line) or csv (a row a snapshot)")
      ->capture_default_str();
  cmd->callback([&ctx, job, interval_ms, output] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<uint64_t> id = ParseJobId(*job);
    if (!id.ok()) return FailUsage(ctx, std::string(id.status().message()));
    const bool terminal = isatty(STDOUT_FILENO);
    const int interval = *interval_ms != 0 ? *interval_ms : (terminal ? 250 : 1000);
    JobClient client = MakeClient(ctx);
    InterruptNotice notice(*id);
    ProgressView view(std::cout, terminal, format);
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
