// tminus scale: the scaling study on the live cluster.
#include <unistd.h>

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/default_chunks.h"
#include "cli/kernel_flags.h"
#include "cli/scale.h"
#include "cli/spec_flags.h"
#include "common/job_spec.h"
#include "common/status_macros.h"
#include "common/text.h"

namespace tminus {
namespace {

struct ScaleFlags {
  std::string n;
  std::string chunks;
  std::string chunk_size;
  std::string slots;
  std::string hosts;
  std::string placement = "any";
  bool weak = false;
  std::string on;
  std::string workers;
  std::string executor = "threads";
  std::string python;
  std::string command;
  int repeat = 3;
  bool no_calibration = false;
  std::string out = "tminus-scale";
  std::string name;
  bool no_upload = false;
  bool force = false;
  std::string output = "table";
};

// A study that took hours is not overwritten by accident.
absl::Status CheckNoStudyIn(const std::string& dir, bool force) {
  if (force) return absl::OkStatus();
  for (const char* name : {"scale.csv", "scale.json", "scale.svg"}) {
    const std::string path = dir + "/" + name;
    if (access(path.c_str(), F_OK) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--out: ", dir, " already holds a study (", name,
          "); choose another --out, or add --force to overwrite it"));
    }
  }
  return absl::OkStatus();
}

// "1,2,4" into sorted counts from 1 to `most`; empty items and repeats are
// errors naming the flag.
absl::Status ParseCountList(const std::string& text, const char* flag, int most,
                            std::vector<int>* out) {
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1 || value > most) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", part, "' is not a count from 1 to ", most));
    }
    if (std::find(out->begin(), out->end(), value) != out->end()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", value, " is given twice"));
    }
    out->push_back(value);
  }
  std::sort(out->begin(), out->end());
  return absl::OkStatus();
}

absl::Status ParsePlacements(const std::string& text, std::vector<Placement>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    Placement placement = Placement::kAny;
    if (part == "packed") placement = Placement::kPacked;
    else if (part == "spread") placement = Placement::kSpread;
    else if (part != "any") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--placement: '", part, "' is not any, packed or spread (a comma list of them)"));
    }
    if (std::find(out->begin(), out->end(), placement) != out->end()) {
      return absl::InvalidArgumentError(absl::StrCat("--placement: ", part, " is given twice"));
    }
    out->push_back(placement);
  }
  return absl::OkStatus();
}

absl::Status ToOptions(const ScaleFlags& flags, ScaleOptions* options) {
  JobSpec spec;  // validated like a submit, so errors read the same
  spec.executor = ExecutorKind::kThreads;
  RETURN_IF_ERROR(ParseSizeFlags(flags.n, flags.chunks, flags.chunk_size, &spec));
  RETURN_IF_ERROR(ParsePlacementFlags(flags.on, flags.workers, &spec));
  absl::StatusOr<std::shared_ptr<const KernelSpec>> kernel =
      ParseKernelFlags(flags.python, flags.command);
  if (!kernel.ok()) return kernel.status();
  options->kernel = *kernel;
  if (options->kernel != nullptr && !spec.chunk_count && !spec.chunk_size) {
    return absl::InvalidArgumentError(
        "--chunks or --chunk-size: required with --python and --command");
  }
  if (options->kernel != nullptr && options->kernel->kind == KernelKind::kCommand &&
      flags.executor != "processes") {
    return absl::InvalidArgumentError("--executor: a --command study runs on processes only");
  }
  RETURN_IF_ERROR(ValidateFlagsSpec(spec));
  options->n = spec.n;
  options->chunk_count = spec.chunk_count;
  options->chunk_size = spec.chunk_size;
  options->selector = spec.selector;
  options->workers = spec.workers;
  if (!flags.slots.empty()) {
    RETURN_IF_ERROR(ParseCountList(flags.slots, "--slots", kMaxMaxSlots, &options->slots));
  }
  if (!flags.hosts.empty()) {
    RETURN_IF_ERROR(ParseCountList(flags.hosts, "--hosts", 100'000, &options->hosts));
    options->slot_axis = !flags.slots.empty();  // --hosts alone: the host axis only
  }
  RETURN_IF_ERROR(ParsePlacements(flags.placement, &options->placements));
  options->weak = flags.weak;
  // The calibration runs the countdown: no yardstick for another kernel.
  options->calibrate = !flags.no_calibration && options->kernel == nullptr;
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
  RETURN_IF_ERROR(CheckPrintableUtf8(flags.name, "--name", kMaxNameBytes));
  // Before a study that may take hours, not after it.
  RETURN_IF_ERROR(CheckNoStudyIn(flags.out, flags.force));
  return CheckWritableDir(flags.out);
}

void AddFlags(CLI::App* cmd, ScaleFlags* flags) {
  cmd->add_option("-n,--n", flags->n,
                  "decrements per job: 4e9, 40G, ... (with --weak: per slot)")->required();
  cmd->add_option("--chunks", flags->chunks, "split each job into this many chunks (--weak: per slot)");
  cmd->add_option("--chunk-size", flags->chunk_size, "or into chunks of this many decrements");
  cmd->add_option("--slots", flags->slots,
                  "the slot axis, a comma list of slot counts (default: 1, 2, 4, ... up to "
                  "the total, the total, and the physical cores)");
  cmd->add_option("--hosts", flags->hosts,
                  "the host axis: every slot of the first 1, 2, 4, ... hosts (a host is the "
                  "workers' `host` label); alone, it replaces the slot axis");
  cmd->add_option("--placement", flags->placement,
                  "on the slot axis: any (whichever worker asks), packed (fill one host, then "
                  "the next) or spread (evenly over the workers); a comma list runs each")
      ->capture_default_str();
  cmd->add_flag("--weak", flags->weak,
                "weak scaling too: the work per slot stays n, so n grows with the slots; "
                "efficiency is T(1 slot) / T(N slots)");
  cmd->add_option("--on", flags->on, "use only workers with these labels: KEY=VALUE[,...]");
  cmd->add_option("--workers", flags->workers, "use only these workers: NAME[,NAME...]");
  cmd->add_option("--executor", flags->executor, "threads, processes or both")
      ->capture_default_str();
  cmd->add_option("--python", flags->python,
                  "study FILE:FUNCTION, a Python function f(start, count) -> count, instead of "
                  "the countdown (as tminus submit --python; no calibration). With --executor "
                  "both: threads share one interpreter (the GIL), processes do not");
  cmd->add_option("--command", flags->command,
                  "study a program run once per chunk (as tminus submit --command; "
                  "--executor processes; no calibration)");
  cmd->add_option("--repeat", flags->repeat, "runs per point; the median is reported")
      ->capture_default_str();
  cmd->add_flag("--no-calibration", flags->no_calibration,
                "skip the bare-kernel runs before and after each run (VS-CALIB stays empty)");
  cmd->add_option("--out", flags->out, "folder for scale.csv, scale.json, scale.svg")
      ->capture_default_str();
  cmd->add_flag("--force", flags->force, "overwrite a study already in --out");
  cmd->add_option("--name", flags->name, "a name for the study on the dashboard");
  cmd->add_option("-o,--output,--format", flags->output,
                  "what stdout gets: table, json (scale.json) or csv (scale.csv); progress "
                  "goes to stderr")
      ->capture_default_str();
  cmd->add_flag("--no-upload", flags->no_upload,
                "do not keep the results at the coordinator (the dashboard's Studies page)");
}

}  // namespace

void AddScaleCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<ScaleFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scale", "run the same job at 1, 2, 4, ... slots (or hosts) and show speedup, efficiency, "
               "the Karp-Flatt serial fraction, the counting fraction and the rate against the "
               "bare kernel; writes scale.csv, scale.json and scale.svg");
  AddFlags(cmd, flags.get());
  cmd->callback([&ctx, flags] {
    OutputFormat format;
    if (!ResolveOutput(ctx, flags->output, &format)) return;
    ScaleOptions options;
    if (absl::Status valid = ToOptions(*flags, &options); !valid.ok()) {
      return FailUsage(ctx, std::string(valid.message()));
    }
    JobClient client = MakeClient(ctx);
    JobSpec spec;  // the default chunking of one strong-scaling job (--weak: per slot)
    spec.n = options.n;
    spec.chunk_count = options.chunk_count;
    spec.chunk_size = options.chunk_size;
    if (absl::Status picked = PickDefaultChunking(client, &spec, std::cerr); !picked.ok()) {
      return Fail(ctx, picked);
    }
    options.chunk_count = spec.chunk_count;
    absl::StatusOr<ScaleStudy> study = RunScaleStudy(
        client, options, [](const std::string& line) { std::cerr << "  " << line << "\n"; });
    if (!study.ok()) {
      if (study.status().code() == absl::StatusCode::kInvalidArgument) {
        return FailUsage(ctx, std::string(study.status().message()));
      }
      Fail(ctx, study.status());
      if (study.status().code() == absl::StatusCode::kAborted) ctx.exit_code = kExitJobFailed;
      return;
    }
    // People read the table and the notes; scripts get only the data on stdout.
    std::ostream& notes = format == OutputFormat::kTable ? std::cout : std::cerr;
    if (format == OutputFormat::kTable) PrintScaleTable(*study, std::cout);
    else std::cout << (format == OutputFormat::kJson ? ScaleJson(*study) : ScaleCsv(*study));
    if (absl::Status written = WriteScaleFiles(*study, flags->out); !written.ok()) {
      std::cerr << "tminus: " << written.message() << "\n";
      ctx.exit_code = kExitJobFailed;
      return;
    }
    notes << "wrote " << flags->out << "/scale.csv, scale.json, scale.svg\n";
    if (flags->no_upload) return;
    absl::StatusOr<v1::Study> kept =
        client.RecordStudy(StudyProto(*study, flags->repeat, flags->name));
    if (!kept.ok()) {
      std::cerr << "tminus: the coordinator did not keep the study: "
                << DescribeError(kept.status(), ctx.coordinator) << "\n";
      return;
    }
    notes << "study " << kept->id() << " is on the coordinator's dashboard (Studies)\n";
  });
}

}  // namespace tminus
