// The `tminus` subcommands: one file each, registered on the CLI11 app.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/security.h"

namespace tminus {

// Exit codes scripts can rely on.
enum ExitCode : int {
  kExitOk = 0,
  kExitJobFailed = 1,  // the job failed or was cancelled
  kExitUsage = 2,      // bad flags or arguments, or the coordinator said INVALID_ARGUMENT
  kExitRpc = 3,        // coordinator unreachable or another RPC error (NOT_FOUND included)
};

struct CliContext {
  std::string coordinator = "127.0.0.1:7070";
  std::string token_file;  // or the TMINUS_TOKEN environment variable
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  ClientSecurity security;  // loaded from the above once the flags are parsed
  int exit_code = kExitOk;
};

// A JobClient for the coordinator and credentials the flags name.
JobClient MakeClient(const CliContext& ctx,
                     std::chrono::milliseconds deadline = std::chrono::seconds(10));

// Prints "tminus: <message>" to stderr and records the exit code for it.
void Fail(CliContext& ctx, const absl::Status& status);
void FailUsage(CliContext& ctx, const std::string& message);

absl::StatusOr<uint64_t> ParseJobId(const std::string& text);
// Every id, or the first bad one's error (nothing is done for a bad list).
absl::StatusOr<std::vector<uint64_t>> ParseJobIds(const std::vector<std::string>& texts);
// Adds `--output table|json|csv` to a read command.
void AddOutputOption(CLI::App* command, std::string* format);
// Parses it; on error fails ctx with a usage error and returns false.
bool ResolveOutput(CliContext& ctx, const std::string& text, OutputFormat* out);

void AddSubmitCommand(CLI::App& app, CliContext& ctx);
void AddWatchCommand(CLI::App& app, CliContext& ctx);
void AddStatusCommand(CLI::App& app, CliContext& ctx);
void AddListCommand(CLI::App& app, CliContext& ctx);
void AddCancelCommand(CLI::App& app, CliContext& ctx);
void AddWorkersCommand(CLI::App& app, CliContext& ctx);
void AddDrainCommands(CLI::App& app, CliContext& ctx);  // drain, undrain
void AddReportCommand(CLI::App& app, CliContext& ctx);
void AddScaleCommand(CLI::App& app, CliContext& ctx);
void AddDemoCommand(CLI::App& app, CliContext& ctx);
void AddClusterCommand(CLI::App& app, CliContext& ctx);

}  // namespace tminus
