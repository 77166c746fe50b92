#include "coordinator/core/study.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/job_spec.h"
#include "common/status_macros.h"
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
  if (p.karp_flatt && !std::isfinite(*p.karp_flatt)) return Bad(at + "karp_flatt", "must be finite");
  for (double rate : {p.calibrated_min, p.calibrated_max}) {
    if (!std::isfinite(rate) || rate < 0) {
      return Bad(at + "calibrated_min_decrements_per_second", "must be finite and >= 0");
    }
  }
  for (const auto& [field, value] : {std::pair<const char*, double>{"counting_fraction", p.counting_fraction},
                                     {"calibrated_decrements_per_second", p.calibrated_rate},
                                     {"vs_calibration", p.vs_calibration}}) {
    if (!std::isfinite(value) || value < 0) return Bad(at + field, "must be finite and >= 0");
  }
  const auto one_of = [](const std::string& value, std::initializer_list<const char*> allowed) {
    if (value.empty()) return true;
    for (const char* a : allowed) {
      if (value == a) return true;
    }
    return false;
  };
  if (!one_of(p.mode, {"strong", "weak"})) return Bad(at + "mode", "must be strong or weak");
  if (!one_of(p.axis, {"slots", "hosts"})) return Bad(at + "axis", "must be slots or hosts");
  if (!one_of(p.placement, {"any", "packed", "spread"})) {
    return Bad(at + "placement", "must be any, packed or spread");
  }
  if (p.hosts < 0 || p.hosts > kMaxMaxSlots) {
    return Bad(at + "hosts", absl::StrCat("must be between 0 and ", kMaxMaxSlots));
  }
  if (p.n < 0) return Bad(at + "n", "must be >= 0");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStudy(const StudyRecord& study) {
  RETURN_IF_ERROR(CheckPrintableUtf8(study.name, "name", kMaxNameBytes));
  if (study.n < 1) return Bad("n", "must be at least 1");
  if (study.chunks < 1) return Bad("chunk_count", "must be at least 1");
  if (study.repeat < 1 || study.repeat > 1000) return Bad("repeat", "must be between 1 and 1000");
  if (!std::isfinite(study.bare_rate) || study.bare_rate < 0) {
    return Bad("bare_decrements_per_second", "must be finite and >= 0");
  }
  if (study.points.empty() || study.points.size() > kMaxStudyPoints) {
    return Bad("points", absl::StrCat("must hold 1 to ", kMaxStudyPoints, " points"));
  }
  if (study.physical_cores < 0 || study.physical_cores > kMaxMaxSlots) {
    return Bad("physical_cores", absl::StrCat("must be between 0 and ", kMaxMaxSlots));
  }
  if (study.host_boundaries.size() > kMaxStudyPoints) {
    return Bad("host_boundaries", absl::StrCat("at most ", kMaxStudyPoints));
  }
  for (int32_t boundary : study.host_boundaries) {
    if (boundary < 1 || boundary > kMaxMaxSlots) {
      return Bad("host_boundaries", absl::StrCat("must be between 1 and ", kMaxMaxSlots));
    }
  }
  for (size_t i = 0; i < study.points.size(); ++i) {
    RETURN_IF_ERROR(ValidatePoint(study.points[i], i));
  }
  return absl::OkStatus();
}

}  // namespace tminus
