// --python FILE:FUNCTION and --command 'PROGRAM ARGS...', as `submit` and
// `scale` take them: the job's kernel (docs/kernels.md).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/job_spec.h"

namespace tminus {

// The kernel the flags name: null for neither (the countdown);
// INVALID_ARGUMENT naming the flag for both, an unreadable or oversized file,
// a FILE:FUNCTION without the function, or a command line that does not
// split. A python file is parsed here when python3 is installed, so a syntax
// error or a missing function is refused before it is submitted.
absl::StatusOr<std::shared_ptr<const KernelSpec>> ParseKernelFlags(const std::string& python,
                                                                   const std::string& command);

// The executor a job of this kernel gets when --executor is not given:
// processes for a command, threads otherwise.
const char* DefaultExecutorFor(const KernelSpec* kernel);

}  // namespace tminus
