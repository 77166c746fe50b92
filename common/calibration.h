// A worker's measure of the bare countdown on one of its threads while none
// of its slots ran a chunk (tminus.v1.Calibration): the one-slot reference
// behind a job's speedup. The worker measures it (worker/calibrator.h); the
// coordinator keeps the latest per worker.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace tminus {

inline constexpr double kMaxCalibratedRate = 1e12;  // decrements per second

struct Calibration {
  double rate = 0;  // decrements per CPU-second, the median sample; 0: none
  double min_rate = 0;
  double max_rate = 0;
  int32_t samples = 0;
  double cpu_share = 0;  // CPU over wall while it measured
  int64_t age_ns = 0;    // its age when sent (or, in a listing, now)
  bool valid() const { return rate > 0; }
};

// OK for an empty one (samples 0); else every field in its range
// (INVALID_ARGUMENT naming `field`.the_field).
absl::Status ValidateCalibration(const Calibration& calibration, const std::string& field);

}  // namespace tminus
