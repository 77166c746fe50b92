#include "cli/kernel_flags.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "cli/kernel_check_script.h"  // kCheckPython: python/tminus/kernel_check.py
#include "common/command_line.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "common/text.h"

namespace tminus {
namespace {


// Python's own parser on the file (python/tminus/kernel_check.py, as the
// Python client checks it): a syntax error, or no such top-level name. OK
// when python3 is missing (the worker reports such errors then).
absl::Status CheckWithPython(const std::string& path, const std::string& function) {
  char out_path[] = "/tmp/tminus-pycheck-XXXXXX";
  const int fd = mkstemp(out_path);
  if (fd < 0) return absl::OkStatus();
  close(fd);
  absl::StatusOr<Subprocess> check =
      Subprocess::Start({"python3", "-c", kCheckPython, path, function}, out_path);
  absl::Status verdict = absl::OkStatus();
  if (check.ok()) {
    std::optional<int> status = check->Wait(std::chrono::seconds(20));
    std::string message = ReadWholeFile(out_path).value_or("");
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (status.has_value() && ExitCodeOf(*status) == 1 && !message.empty()) {
      verdict = absl::InvalidArgumentError(absl::StrCat("--python: ", EscapeForLog(message, 1024)));
    }
  }
  unlink(out_path);
  return verdict;
}

absl::StatusOr<std::shared_ptr<const KernelSpec>> PythonKernel(const std::string& flag) {
  const size_t colon = flag.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == flag.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--python: give FILE:FUNCTION (e.g. busy.py:busy_wait), got '", EscapeForLog(flag), "'"));
  }
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kPython;
  const std::string path = flag.substr(0, colon);
  kernel->function = flag.substr(colon + 1);
  kernel->file_name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  std::optional<std::string> source = ReadWholeFile(path);
  if (!source.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("--python: cannot read ", EscapeForLog(path)));
  }
  kernel->source = *std::move(source);
  if (kernel->source.size() > kMaxPythonSourceBytes) {
    return absl::InvalidArgumentError(absl::StrCat("--python: ", EscapeForLog(path), " is ",
                                                   kernel->source.size(),
                                                   " bytes; a job's source is at most 256 KiB"));
  }
  RETURN_IF_ERROR(CheckWithPython(path, kernel->function));
  return std::shared_ptr<const KernelSpec>(std::move(kernel));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const KernelSpec>> ParseKernelFlags(const std::string& python,
                                                                   const std::string& command) {
  if (!python.empty() && !command.empty()) {
    return absl::InvalidArgumentError("give at most one of --python and --command");
  }
  if (!python.empty()) return PythonKernel(python);
  if (command.empty()) return std::shared_ptr<const KernelSpec>();
  absl::StatusOr<std::vector<std::string>> argv = SplitCommandLine(command, "--command");
  if (!argv.ok()) return argv.status();
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kCommand;
  kernel->argv = *std::move(argv);
  return std::shared_ptr<const KernelSpec>(std::move(kernel));
}

const char* DefaultExecutorFor(const KernelSpec* kernel) {
  return kernel != nullptr && kernel->kind == KernelKind::kCommand ? "processes" : "threads";
}

}  // namespace tminus
