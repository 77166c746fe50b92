// The name of a scaling study's series, written once: the CLI's tables, CSV
// and SVG, and the dashboard (the HTTP API's "series" of a study point) call
// a series by it.
#pragma once

#include <optional>
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

// The `!` of a study point, written once: `tminus scale`'s table, CSV and
// JSON, and the dashboard (the HTTP API's "doubtful" and "above_ceiling").
// A point whose runs spread by more than kWideSpread (max - min over the
// median) is doubtful, as is one with efficiency or rate-vs-calibration above
// kAboveCeiling, or a negative Karp-Flatt: the machine was busy or the runs
// too short.
inline constexpr double kWideSpread = 0.2;
inline constexpr double kAboveCeiling = 1.05;
inline bool StudyPointAboveCeiling(double vs_calibration) {
  return vs_calibration > kAboveCeiling;
}
bool StudyPointDoubtful(double median_s, double min_s, double max_s, double efficiency,
                        std::optional<double> karp_flatt, double vs_calibration);

}  // namespace tminus
