// tminus status JOB...
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/views.h"

namespace tminus {

void AddStatusCommand(CLI::App& app, CliContext& ctx) {
  auto jobs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("table");
  CLI::App* cmd = app.add_subcommand("status", "show jobs' state and progress");
  cmd->add_option("JOB", *jobs, "job ids (several: each in turn; the exit code is the last "
                                "failure's)")->required();
  AddOutputOption(cmd, output.get());
  cmd->callback([&ctx, jobs, output] {
    OutputFormat format;
    if (!ResolveOutput(ctx, *output, &format)) return;
    absl::StatusOr<std::vector<uint64_t>> ids = ParseJobIds(*jobs);
    if (!ids.ok()) return FailUsage(ctx, std::string(ids.status().message()));
    JobClient client = MakeClient(ctx);
    std::vector<v1::Job> found;
    for (uint64_t id : *ids) {
      absl::StatusOr<v1::Job> result = client.Get(id);
      if (!result.ok()) {
        Fail(ctx, result.status());
        continue;
      }
      found.push_back(*std::move(result));
    }
    // One id: its job as always. Several: a table's block each, or one CSV
    // table, or `list`'s JSON ({"jobs": [...]}) of them all.
    if (found.size() == 1 || format == OutputFormat::kTable) {
      for (const v1::Job& job : found) PrintJob(job, format, std::cout);
    } else if (format == OutputFormat::kJson) {
      v1::ListJobsResponse jobs;
      for (const v1::Job& job : found) *jobs.add_jobs() = job;
      std::cout << ToJson(jobs);
    } else if (!found.empty()) {
      PrintJobs(found, format, std::cout);
    }
  });
}

}  // namespace tminus
