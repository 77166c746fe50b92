// tminus scale: the scaling study on the live cluster.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/scale.h"
#include "cli/spec_flags.h"
#include "common/job_spec.h"

namespace tminus {
namespace {

struct ScaleFlags {
  std::string n;
  std::string chunks;
  std::string chunk_size;
  std::string slots;
  std::string executor = "threads";
  int repeat = 3;
  std::string out = "tminus-scale";
  std::string name;
  bool no_upload = false;
};

absl::Status ToOptions(const ScaleFlags& flags, ScaleOptions* options) {
  JobSpec spec;  // validated like a submit, so errors read the same
  spec.executor = ExecutorKind::kThreads;
  if (absl::Status sized = ParseSizeFlags(flags.n, flags.chunks, flags.chunk_size, &spec);
      !sized.ok()) {
    return sized;
  }
  if (absl::Status valid = ValidateJobSpec(spec); !valid.ok()) return valid;
  options->n = spec.n;
  options->chunk_count = spec.chunk_count;
  options->chunk_size = spec.chunk_size;
  for (absl::string_view part : absl::StrSplit(flags.slots, ',', absl::SkipEmpty())) {
    int slots = 0;
    if (!absl::SimpleAtoi(part, &slots) || slots < 1 || slots > kMaxMaxSlots) {
      return absl::InvalidArgumentError(
          absl::StrCat("--slots: '", part, "' is not a slot count (1 to ", kMaxMaxSlots, ")"));
    }
    options->slots.push_back(slots);
  }
  if (flags.executor == "both") {
    options->executors = {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES};
  } else if (flags.executor == "threads" || flags.executor == "processes") {
    options->executors = {flags.executor == "threads" ? v1::EXECUTOR_THREADS
                                                      : v1::EXECUTOR_PROCESSES};
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--executor: must be threads, processes or both, got '", flags.executor, "'"));
  }
  if (flags.repeat < 1 || flags.repeat > 100) {
    return absl::InvalidArgumentError("--repeat: must be between 1 and 100");
  }
  options->repeat = flags.repeat;
  return absl::OkStatus();
}

}  // namespace

void AddScaleCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ScaleFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scale", "run the same job at 1, 2, 4, ... slots and show speedup, efficiency and the "
               "Karp-Flatt serial fraction; writes scale.csv, scale.json and scale.svg");
  cmd->add_option("-n,--n", flags->n, "decrements per job: 4e9, 40G, ...")->required();
  cmd->add_option("--chunks", flags->chunks, "split each job into this many chunks");
  cmd->add_option("--chunk-size", flags->chunk_size, "or into chunks of this many decrements");
  cmd->add_option("--slots", flags->slots,
                  "comma list of slot counts (default: 1, 2, 4, ... up to the cluster's total, "
                  "and the total)");
  cmd->add_option("--executor", flags->executor, "threads, processes or both")
      ->capture_default_str();
  cmd->add_option("--repeat", flags->repeat, "runs per point; the median is reported")
      ->capture_default_str();
  cmd->add_option("--out", flags->out, "folder for scale.csv, scale.json, scale.svg")
      ->capture_default_str();
  cmd->add_option("--name", flags->name, "a name for the study on the dashboard");
  cmd->add_flag("--no-upload", flags->no_upload,
                "do not keep the results at the coordinator (the dashboard's Studies page)");
  cmd->callback([&ctx, flags] {
    ScaleOptions options;
    if (absl::Status valid = ToOptions(*flags, &options); !valid.ok()) {
      return FailUsage(ctx, std::string(valid.message()));
    }
    JobClient client = MakeClient(ctx);
    absl::StatusOr<ScaleStudy> study =
        RunScaleStudy(client, options, [](const std::string& line) { std::cerr << "  " << line << "\n"; });
    if (!study.ok()) {
      Fail(ctx, study.status());
      if (study.status().code() == absl::StatusCode::kAborted) ctx.exit_code = kExitJobFailed;
      return;
    }
    PrintScaleTable(*study, std::cout);
    if (absl::Status written = WriteScaleFiles(*study, flags->out); !written.ok()) {
      return Fail(ctx, written);
    }
    std::cout << "wrote " << flags->out << "/scale.csv, scale.json, scale.svg\n";
    if (flags->no_upload) return;
    absl::StatusOr<v1::Study> kept =
        client.RecordStudy(StudyProto(*study, flags->repeat, flags->name));
    if (!kept.ok()) {
      std::cerr << "tminus: the coordinator did not keep the study: "
                << DescribeError(kept.status(), ctx.coordinator) << "\n";
      return;
    }
    std::cout << "study " << kept->id() << " is on the coordinator's dashboard (Studies)\n";
  });
}

}  // namespace tminus
