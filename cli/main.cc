// tminus: submit and follow countdown jobs on a tminus cluster.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "common/address.h"
#include "common/logging.h"
#include "common/rpc.h"

namespace tminus {

void Fail(CliContext& ctx, const absl::Status& status) {
  std::cerr << "tminus: " << DescribeError(status, ctx.coordinator) << "\n";
  const bool usage = status.code() == absl::StatusCode::kInvalidArgument ||
                     status.code() == absl::StatusCode::kOutOfRange;
  ctx.exit_code = usage ? kExitUsage : kExitRpc;
}

void FailUsage(CliContext& ctx, const std::string& message) {
  std::cerr << "tminus: " << message << "\n";
  ctx.exit_code = kExitUsage;
}

absl::StatusOr<uint64_t> ParseJobId(const std::string& text) {
  uint64_t id = 0;
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(text, &id) || id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("JOB: '", text, "' is not a job id (a positive number, as `submit` prints)"));
  }
  return id;
}

absl::StatusOr<std::vector<uint64_t>> ParseJobIds(const std::vector<std::string>& texts) {
  std::vector<uint64_t> ids;
  for (const std::string& text : texts) {
    absl::StatusOr<uint64_t> id = ParseJobId(text);
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return ids;
}

void AddOutputOption(CLI::App* command, std::string* format) {
  command->add_option("-o,--output,--format", *format, "table, json (proto3 JSON) or csv")
      ->capture_default_str();
}

JobClient MakeClient(const CliContext& ctx, std::chrono::milliseconds deadline) {
  return JobClient(ctx.coordinator, deadline, ctx.security);
}

// "unknown command 'foo' (commands: submit, watch, ...)" for the deepest
// command given, when it needs a subcommand and got a word it does not know.
std::string MissingSubcommandMessage(const CLI::App& app) {
  const CLI::App* level = &app;
  std::string path = "tminus";
  for (;;) {
    std::vector<const CLI::App*> chosen = level->get_subcommands(
        [](const CLI::App* sub) { return sub->parsed(); });
    if (chosen.empty()) break;
    level = chosen.front();
    path += " " + level->get_name();
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : level->get_subcommands({})) names.push_back(sub->get_name());
  const std::string valid = absl::StrCat("; the commands of `", path, "` are: ",
                                         absl::StrJoin(names, ", "));
  const std::vector<std::string> words = app.remaining(/*recurse=*/true);
  for (const std::string& word : words) {
    if (!word.empty() && word[0] != '-') {
      return absl::StrCat("unknown command '", EscapeForTerminal(word), "'", valid);
    }
  }
  if (!words.empty()) {
    return absl::StrCat("unknown option '", EscapeForTerminal(words.front()), "'", valid);
  }
  return absl::StrCat("`", path, "` needs a command", valid);
}

bool ResolveOutput(CliContext& ctx, const std::string& text, OutputFormat* out) {
  if (ParseOutputFormat(text, out)) return true;
  FailUsage(ctx, absl::StrCat("--output: must be table, json or csv, got '", text, "'"));
  return false;
}

}  // namespace tminus

int main(int argc, char** argv) {
  // Abseil's mutex deadlock detector costs more than the work on the hot
  // path (a third of the worker's instructions per tiny chunk); the tests
  // keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  using namespace tminus;
  CLI::App app{"tminus: submit countdown jobs to a tminus cluster, follow them, and see how "
               "they scaled.\nExit codes: 0 ok, 1 job failed or cancelled, 2 usage error, "
               "3 coordinator unreachable or RPC error."};
  app.require_subcommand(1);
  // Global flags work after the subcommand too: `tminus list -c HOST`.
  app.fallthrough();
  CliContext ctx;
  app.add_option("-c,--coordinator", ctx.coordinator, "coordinator HOST[:PORT] (port 7070 if left out)")
      ->envname("TMINUS_COORDINATOR")->capture_default_str();
  app.add_option("--token-file", ctx.token_file,
                 "file holding the token to send (default: the TMINUS_TOKEN variable)");
  app.add_option("--tls-ca", ctx.tls_ca, "PEM CA of the coordinator's certificate: use TLS");
  app.add_option("--tls-cert", ctx.tls_cert, "PEM client certificate, for mutual TLS");
  app.add_option("--tls-key", ctx.tls_key, "PEM key of --tls-cert");
  app.set_version_flag("--version", std::string(Version()));
  app.parse_complete_callback([&ctx] {
    absl::StatusOr<std::string> target = ParseDialTarget(ctx.coordinator, "--coordinator");
    if (!target.ok()) {
      std::cerr << "tminus: " << target.status().message() << "\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    ctx.coordinator = *target;
    absl::StatusOr<ClientSecurity> security =
        LoadClientSecurity(ctx.token_file, ctx.tls_ca, ctx.tls_cert, ctx.tls_key);
    if (!security.ok()) {
      std::cerr << "tminus: " << security.status().message() << "\n";
      throw CLI::RuntimeError(kExitUsage);
    }
    ctx.security = *security;
  });
  AddSubmitCommand(app, ctx);
  AddWatchCommand(app, ctx);
  AddStatusCommand(app, ctx);
  AddListCommand(app, ctx);
  AddCancelCommand(app, ctx);
  AddWorkersCommand(app, ctx);
  AddDrainCommands(app, ctx);
  AddReportCommand(app, ctx);
  AddScaleCommand(app, ctx);
  AddDemoCommand(app, ctx);
  AddClusterCommand(app, ctx);
  SetLogLevel("warn");  // the CLI's own gRPC/log chatter stays out of the output
  try {
    app.parse(argc, argv);
  } catch (const CLI::RequiredError& e) {
    if (std::string(e.what()).find("subcommand") == std::string::npos) {
      // "--n is required", said as every other usage error of the CLI.
      std::cerr << "tminus: " << e.what() << "\nRun with --help for more information.\n";
      return kExitUsage;
    }
    std::cerr << "tminus: " << MissingSubcommandMessage(app)
              << "\nRun with --help for more information.\n";
    return kExitUsage;
  } catch (const CLI::Error& e) {
    const int code = app.exit(e);  // prints help, version or the error
    return code == 0 ? kExitOk : kExitUsage;
  }
  return ctx.exit_code;
}
