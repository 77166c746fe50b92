// tminus submit: build a JobSpec from flags, validate it here for a quick
// error, submit it with a fresh request id, and optionally follow it.
#include <unistd.h>

#include <iostream>
#include <random>

#include "absl/strings/str_format.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/default_chunks.h"
#include "cli/follow.h"
#include "cli/kernel_flags.h"
#include "cli/spec_flags.h"
#include "cli/views.h"
#include "common/job_spec.h"
#include "common/proto_convert.h"
#include "common/status_macros.h"

namespace tminus {
namespace {

struct SubmitFlags {
  std::string n;
  std::string chunks;
  std::string chunk_size;
  std::string executor;  // "": threads, or processes for a command
  std::string python;
  std::string command;
  int max_slots = 0;
  int max_slots_per_worker = 0;
  std::string on;
  std::string workers;
  int priority = 0;
  int max_attempts = 0;
  std::string time_limit;
  std::string name;
  bool wait = false;
  std::string output = "table";
};

std::string NewRequestId() {
  std::random_device device;
  return absl::StrFormat("cli-%08x%08x", device(), device());
}

absl::StatusOr<JobSpec> SpecFromFlags(const SubmitFlags& flags) {
  JobSpec spec;
  RETURN_IF_ERROR(ParseSizeFlags(flags.n, flags.chunks, flags.chunk_size, &spec));
  absl::StatusOr<std::shared_ptr<const KernelSpec>> kernel =
      ParseKernelFlags(flags.python, flags.command);
  if (!kernel.ok()) return kernel.status();
  spec.kernel = *kernel;
  if (spec.kernel != nullptr && !spec.chunk_count && !spec.chunk_size) {
    return absl::InvalidArgumentError(
        "--chunks or --chunk-size: required with --python and --command (the default chunking "
        "sizes chunks at the countdown's rate)");
  }
  const std::string executor =
      flags.executor.empty() ? DefaultExecutorFor(spec.kernel.get()) : flags.executor;
  RETURN_IF_ERROR(ParseExecutor(executor, "--executor", &spec.executor));
  spec.max_slots = flags.max_slots;
  spec.max_slots_per_worker = flags.max_slots_per_worker;
  RETURN_IF_ERROR(ParsePlacementFlags(flags.on, flags.workers, &spec));
  spec.priority = flags.priority;
  spec.name = flags.name;
  spec.max_attempts = flags.max_attempts;
  RETURN_IF_ERROR(ParseDurationFlag(flags.time_limit, "--time-limit", &spec.time_limit_ms));
  RETURN_IF_ERROR(ValidateFlagsSpec(spec));
  return spec;
}

void RunSubmit(CliContext& ctx, const SubmitFlags& flags) {
  OutputFormat format;
  if (!ResolveOutput(ctx, flags.output, &format)) return;
  absl::StatusOr<JobSpec> spec = SpecFromFlags(flags);
  if (!spec.ok()) {
    FailUsage(ctx, std::string(spec.status().message()));
    return;
  }
  JobClient client = MakeClient(ctx);
  if (absl::Status picked = PickDefaultChunking(client, &*spec, std::cerr); !picked.ok()) {
    Fail(ctx, picked);
    return;
  }
  if (absl::Status valid = ValidateJobSpec(*spec); !valid.ok()) {
    FailUsage(ctx, std::string(WithFlagNames(valid).message()));
    return;
  }
  v1::SubmitJobRequest request;
  request.set_request_id(NewRequestId());
  *request.mutable_spec() = ToProto(*spec);
  absl::StatusOr<v1::Job> job = client.Submit(request);
  if (!job.ok()) {
    Fail(ctx, WithFlagNames(job.status()));
    return;
  }
  if (request.spec().has_kernel() && !job->spec().has_kernel()) {
    // A coordinator from before kernels dropped the field: it would count down.
    (void)client.Cancel(job->id());
    Fail(ctx, absl::FailedPreconditionError(absl::StrCat(
                  "the coordinator does not know --python/--command (too old): job ", job->id(),
                  " would have run the countdown, so it was cancelled")));
    return;
  }
  if (!flags.wait) {
    if (format == OutputFormat::kTable) std::cout << job->id() << "\n";
    else PrintJob(*job, format, std::cout);
    return;
  }
  std::cerr << "submitted job " << job->id() << "\n";
  FollowAndReport(ctx, client, job->id(), format, /*show_progress=*/isatty(STDERR_FILENO));
}

}  // namespace

void AddSubmitCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<SubmitFlags>();
  CLI::App* cmd = app.add_subcommand("submit", "submit a job; prints its id");
  cmd->add_option("-n,--n", flags->n,
                  "units of work in all (decrements, for the countdown): 4000000000, 4e9 or 4G")
      ->required();
  cmd->add_option("--chunks", flags->chunks,
                  "split into this many chunks (default: chunks of ~100 ms at the cluster's "
                  "measured rate, at least 4 per connected slot)");
  cmd->add_option("--chunk-size", flags->chunk_size,
                  "or split into chunks of this many decrements");
  cmd->add_option("--executor", flags->executor,
                  "threads or processes (default: threads; processes for --command)");
  cmd->add_option("--python", flags->python,
                  "run FILE:FUNCTION, a Python function f(start, count) that returns count, "
                  "once per chunk instead of the countdown. The file's source travels with the "
                  "job (256 KiB at most). Threads share one interpreter (the GIL: no speedup); "
                  "processes run one each. Needs workers started with --allow-kernels python "
                  "and, with tokens, an admin token");
  cmd->add_option("--command", flags->command,
                  "run this program once per chunk (processes only; no shell: quotes group "
                  "words). {start} {count} {chunk} {job} {attempt} are replaced per chunk; exit "
                  "0 means the chunk is done. Needs workers started with --allow-kernels "
                  "command and, with tokens, an admin token");
  cmd->add_option("--max-slots", flags->max_slots, "most chunks running at once (0: no cap)")
      ->capture_default_str();
  cmd->add_option("--max-slots-per-worker", flags->max_slots_per_worker,
                  "most chunks running at once on one worker (0: no cap)")
      ->capture_default_str();
  cmd->add_option("--on", flags->on,
                  "run only on workers with these labels: KEY=VALUE[,KEY=VALUE...] (see "
                  "`tminus workers`; e.g. zone=b or host=node-3)");
  cmd->add_option("--workers", flags->workers,
                  "run only on these workers: NAME[,NAME...] (with --on: both must hold)");
  cmd->add_option("--priority", flags->priority, "0..1000, higher runs first")
      ->capture_default_str();
  cmd->add_option("--name", flags->name, "a name for people");
  cmd->add_option("--max-attempts", flags->max_attempts,
                  "attempts per chunk before the job fails, 1..100 (default: the "
                  "coordinator's --max-attempts)");
  cmd->add_option("--time-limit", flags->time_limit,
                  "cancel the job when its wall time passes this: 90s, 10m, 1h30m (counted "
                  "from its first lease; default: none)");
  cmd->add_flag("--wait", flags->wait,
                "follow the job to its end and print its report (holds one of the watch "
                "streams a client may have open at once: 64 unless the coordinator's "
                "--max-watches-per-client says otherwise)");
  cmd->add_option("-o,--output,--format", flags->output,
                  "table (the job id; with --wait the report), json or csv (the job; with "
                  "--wait the report)")
      ->capture_default_str();
  cmd->callback([&ctx, flags] { RunSubmit(ctx, *flags); });
}

}  // namespace tminus
