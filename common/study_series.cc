#include "common/study_series.h"

#include "absl/strings/str_cat.h"

namespace tminus {

std::string StudySeriesName(absl::string_view executor, absl::string_view mode,
                            absl::string_view axis, absl::string_view placement) {
  std::string name(executor);
  if (mode == "weak") name += " weak";
  if (axis == "hosts") return name + " hosts";
  if (!placement.empty() && placement != "any") absl::StrAppend(&name, " ", placement);
  return name;
}

bool StudyPointDoubtful(double median_s, double min_s, double max_s, double efficiency,
                        std::optional<double> karp_flatt, double vs_calibration) {
  const bool wide = median_s > 0 && (max_s - min_s) / median_s > kWideSpread;
  return wide || efficiency > kAboveCeiling || karp_flatt.value_or(0) < 0 ||
         StudyPointAboveCeiling(vs_calibration);
}

}  // namespace tminus
