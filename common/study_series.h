// The name of a scaling study's series, written once: the CLI's tables, CSV
// and SVG, and the dashboard (the HTTP API's "series" of a study point) call
// a series by it.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace tminus {

// The label of the jobs a scaling study submits ("calibration" for its
// one-slot measures, "point" for a measured point): `tminus list` and the
// dashboard leave them out unless asked for all jobs.
inline constexpr char kStudyLabel[] = "tminus.io/study";

// "threads", "threads weak", "processes packed", "threads hosts", ...: the
// executor, " weak" for the weak mode, then " hosts" on the host axis, or
// the placement unless it is "any". An empty mode is strong, an empty
// placement any (points saved before they were recorded).
std::string StudySeriesName(absl::string_view executor, absl::string_view mode,
                            absl::string_view axis, absl::string_view placement);

}  // namespace tminus
