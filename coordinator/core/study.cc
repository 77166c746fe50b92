#include "coordinator/core/study.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/job_spec.h"
#include "common/text.h"

namespace tminus {
namespace {

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status ValidatePoint(const StudyPoint& p, size_t i) {
  const std::string at = absl::StrCat("points[", i, "].");
  if (p.executor != "threads" && p.executor != "processes") {
    return Bad(at + "executor", "must be threads or processes");
  }
  if (p.slots < 1 || p.slots > kMaxMaxSlots) {
    return Bad(at + "slots", absl::StrCat("must be between 1 and ", kMaxMaxSlots));
  }
  if (p.wall_ns <= 0 || p.wall_min_ns < 0 || p.wall_max_ns < 0) {
    return Bad(at + "wall_ns", "must be positive");
  }
  for (double value : {p.speedup, p.efficiency, p.rate}) {
    if (!std::isfinite(value) || value < 0) return Bad(at + "speedup", "numbers must be finite and >= 0");
  }
  if (!std::isfinite(p.karp_flatt)) return Bad(at + "karp_flatt", "must be finite");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStudy(const StudyRecord& study) {
  if (absl::Status name = CheckPrintableUtf8(study.name, "name", kMaxNameBytes); !name.ok()) {
    return name;
  }
  if (study.n < 1) return Bad("n", "must be at least 1");
  if (study.chunks < 1) return Bad("chunk_count", "must be at least 1");
  if (study.repeat < 1 || study.repeat > 1000) return Bad("repeat", "must be between 1 and 1000");
  if (!std::isfinite(study.bare_rate) || study.bare_rate < 0) {
    return Bad("bare_decrements_per_second", "must be finite and >= 0");
  }
  if (study.points.empty() || study.points.size() > kMaxStudyPoints) {
    return Bad("points", absl::StrCat("must hold 1 to ", kMaxStudyPoints, " points"));
  }
  for (size_t i = 0; i < study.points.size(); ++i) {
    if (absl::Status ok = ValidatePoint(study.points[i], i); !ok.ok()) return ok;
  }
  return absl::OkStatus();
}

}  // namespace tminus
