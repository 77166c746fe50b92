#include "common/calibration.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tminus {

absl::Status ValidateCalibration(const Calibration& c, const std::string& field) {
  auto bad = [&field](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".", what));
  };
  if (!c.valid() && c.samples == 0) return absl::OkStatus();  // none yet
  for (double rate : {c.rate, c.min_rate, c.max_rate}) {
    if (!std::isfinite(rate) || rate <= 0 || rate > kMaxCalibratedRate) {
      return bad(absl::StrCat("decrements_per_second: must be > 0 and at most ",
                              kMaxCalibratedRate, ", got ", rate));
    }
  }
  if (c.min_rate > c.rate || c.rate > c.max_rate) {
    return bad("decrements_per_second: must lie between min and max");
  }
  if (c.samples < 1 || c.samples > 1000) {
    return bad(absl::StrCat("samples: must be between 1 and 1000, got ", c.samples));
  }
  if (!std::isfinite(c.cpu_share) || c.cpu_share < 0 || c.cpu_share > 2) {
    return bad(absl::StrCat("cpu_share: must be between 0 and 2, got ", c.cpu_share));
  }
  if (c.age_ns < 0) return bad(absl::StrCat("age_ms: must be >= 0, got ", c.age_ns / 1'000'000));
  return absl::OkStatus();
}

}  // namespace tminus
