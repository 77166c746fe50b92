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

}  // namespace tminus
