// The rules a scaling study (`tminus scale`'s results) must meet before the
// coordinator keeps it for the dashboard.
#pragma once

#include "absl/status/status.h"
#include "coordinator/core/report.h"

namespace tminus {

inline constexpr size_t kMaxStudyPoints = 1000;

// OK, or INVALID_ARGUMENT naming the field ("points[3].slots: ...").
absl::Status ValidateStudy(const StudyRecord& study);

}  // namespace tminus
