// tminus list: jobs, newest first.
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddListCommand(CLI::App& app, CliContext& ctx) {
  auto output = std::make_shared<std::string>("table");
  auto limit = std::make_shared<int>(50);
  auto all = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("list", "list jobs, newest first");
  cmd->add_option("--limit", *limit, "at most this many jobs (1..1000)")->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--all", *all, "every job the coordinator knows, page by page");
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, output, limit, all] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    JobClient client = MakeClient(ctx);
    v1::ListJobsResponse combined;
    std::string token;
    do {
      absl::StatusOr<v1::ListJobsResponse> page = client.List(*limit, token);
      if (!page.ok()) return Fail(ctx, page.status());
      for (const v1::Job& job : page->jobs()) *combined.add_jobs() = job;
      token = page->next_page_token();
    } while (*all && !token.empty());
    if (!*all) combined.set_next_page_token(token);
    if (format == OutputFormat::kJson) {
      std::cout << ToJson(combined);
      return;
    }
    PrintJobs({combined.jobs().begin(), combined.jobs().end()}, format, std::cout);
  });
}

}  // namespace tminus
