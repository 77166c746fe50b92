// tminus list: jobs, newest first, filtered by state and age, page by page;
// a scaling study's jobs only with --all.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/spec_flags.h"
#include "cli/views.h"

namespace tminus {
namespace {

struct ListFlags {
  std::string output = "table";
  int limit = 50;
  bool all = false;
  std::string states;
  std::string since;
};

absl::Status ParseStates(const std::string& text, v1::ListJobsRequest* request) {
  for (absl::string_view word : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    if (word == "active") {  // as the HTTP API's state=active
      request->add_states(v1::JOB_STATE_QUEUED);
      request->add_states(v1::JOB_STATE_RUNNING);
      continue;
    }
    v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
    for (v1::JobState s : {v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING, v1::JOB_STATE_SUCCEEDED,
                           v1::JOB_STATE_FAILED, v1::JOB_STATE_CANCELLED}) {
      if (StateName(s) == word) state = s;
    }
    if (state == v1::JOB_STATE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--state: '", word,
          "' is not queued, running, active (queued or running), succeeded, failed or cancelled"));
    }
    request->add_states(state);
  }
  return absl::OkStatus();
}

void RunList(CliContext& ctx, const ListFlags& flags) {
  OutputFormat format;
  if (!ResolveOutput(ctx, flags.output, &format)) return;
  v1::ListJobsRequest request;
  request.set_page_size(flags.limit);
  request.set_hide_study_jobs(!flags.all);
  if (absl::Status s = ParseStates(flags.states, &request); !s.ok()) {
    return FailUsage(ctx, std::string(s.message()));
  }
  int64_t since_ms = 0;
  if (absl::Status s = ParseDurationFlag(flags.since, "--since", &since_ms); !s.ok()) {
    return FailUsage(ctx, std::string(s.message()));
  }
  request.set_newer_than_ms(since_ms);
  JobClient client = MakeClient(ctx);
  v1::ListJobsResponse combined;
  do {
    absl::StatusOr<v1::ListJobsResponse> page = client.List(request);
    if (!page.ok()) return Fail(ctx, page.status());
    for (const v1::Job& job : page->jobs()) *combined.add_jobs() = job;
    request.set_page_token(page->next_page_token());
  } while (flags.all && !request.page_token().empty());
  if (!flags.all) combined.set_next_page_token(request.page_token());
  if (format == OutputFormat::kJson) {
    std::cout << ToJson(combined);
    return;
  }
  PrintJobs({combined.jobs().begin(), combined.jobs().end()}, format, std::cout);
  if (format == OutputFormat::kTable && !combined.next_page_token().empty()) {
    std::cerr << "(more jobs: --all lists every one, or raise --limit)\n";
  }
}

}  // namespace

void AddListCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = app.add_subcommand("list", "list jobs, newest first");
  cmd->add_option("--limit", flags->limit, "at most this many jobs, or per page with --all (1..1000)")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  cmd->add_flag("--all", flags->all,
                "every matching job the coordinator keeps, page by page, with the jobs a "
                "scaling study ran (labelled tminus.io/study; hidden otherwise)");
  cmd->add_option("--state", flags->states,
                  "only jobs in these states: a comma list of queued, running, active (queued "
                  "and running), succeeded, failed, cancelled");
  cmd->add_option("--since", flags->since,
                  "only jobs submitted within this long: 90s, 10m, 24h, 1h30m, 7d");
  AddOutputOption(cmd, &flags->output);
  cmd->callback([&ctx, flags] { RunList(ctx, *flags); });
}

}  // namespace tminus
