#include "cli/ssh.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/files.h"

namespace tminus {
namespace {

std::string ReadAndRemove(const std::string& path) {
  std::string text = ReadWholeFile(path).value_or("");
  std::remove(path.c_str());
  return text;
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

std::vector<std::string> SshArgv(const SshOptions& options, const std::string& host,
                                 const std::string& script) {
  std::vector<std::string> argv = {"ssh", "-o", "BatchMode=yes", "-o",
                                   absl::StrCat("ConnectTimeout=", options.connect_timeout_s)};
  if (!options.config.empty()) argv.insert(argv.end(), {"-F", options.config});
  if (!options.identity.empty()) argv.insert(argv.end(), {"-i", options.identity});
  if (!options.user.empty()) argv.insert(argv.end(), {"-l", options.user});
  // The remote side joins its arguments into one line for the login shell;
  // one quoted word keeps the script intact whatever that shell is.
  argv.insert(argv.end(), {"--", host, absl::StrCat("sh -c ", ShellQuote(script))});
  return argv;
}

absl::StatusOr<RemoteRun> RemoteRun::Start(const SshOptions& options, const std::string& host,
                                           const std::string& script,
                                           const std::string& scratch_dir,
                                           const std::string& stdin_path) {
  static std::atomic<int> counter{0};
  const std::string out = absl::StrCat(scratch_dir, "/ssh-", getpid(), "-", counter++);
  absl::StatusOr<Subprocess> process =
      Subprocess::Start(SshArgv(options, host, script), out + ".out", out + ".err",
                        stdin_path.empty() ? "/dev/null" : stdin_path);
  if (!process.ok()) return process.status();
  return RemoteRun(std::move(*process), out);
}

RemoteResult RemoteRun::Finish(std::chrono::milliseconds timeout) {
  RemoteResult result;
  std::optional<int> status = process_.Wait(timeout);
  if (status) {
    result.exit_code = ExitCodeOf(*status);
  } else {
    process_.Stop(std::chrono::milliseconds(0));
  }
  result.out = ReadAndRemove(out_path_ + ".out");
  result.err = ReadAndRemove(out_path_ + ".err");
  return result;
}

std::string LastLine(const std::string& text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipWhitespace());
  return lines.empty() ? "" : std::string(lines.back());
}

}  // namespace tminus
