// The figures of a job report, from its sums. Three kinds, kept apart
// (docs/architecture.md, "Figures"):
//  - occupancy: parallelism = busy / wall, occupancy = busy / (slots x wall),
//    counting = kernel / (slots x wall). How well tminus kept its slots fed;
//    blind to whether the slots got CPUs.
//  - CPU: cpu parallelism = cpu / wall, CPU share = cpu / busy. Whether the
//    slots got CPUs; a share under kLowCpuShare means more slots than free
//    CPUs, or another process.
//  - speedup = reference / wall, reference = the serial time at the workers'
//    calibrated one-slot rates; efficiency = speedup / slots. None when any
//    decrement was done by a worker without a calibration. A speedup above
//    the slots or the CPU parallelism warns of a reference that is too low.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tminus {

inline constexpr double kLowCpuShare = 0.9;
// A speedup this much above the CPU parallelism means a stale reference
// (a VM's cores change speed by up to 2x within seconds here).
inline constexpr double kStaleReferenceRatio = 1.1;
// Below this much busy time a CPU share says nothing (one clock tick).
inline constexpr int64_t kMinBusyForCpuShareNs = 20'000'000;

struct FigureSums {
  int64_t wall_ns = 0;
  int64_t busy_ns = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;
  int32_t slots = 0;
  int64_t reference_ns = 0;             // over decrements done by calibrated workers
  int64_t unreferenced_decrements = 0;  // done by workers without a calibration
  int64_t decrements = 0;
};

struct Figures {
  double parallelism = 0;
  double occupancy = 0;
  double counting_fraction = 0;
  double cpu_parallelism = 0;
  double cpu_share = 0;
  std::optional<double> speedup;
  std::optional<double> efficiency;
  std::vector<std::string> warnings;
};

Figures ComputeFigures(const FigureSums& sums);

// The time left for `remaining` decrements at `rate` per second: 0 without a
// rate, clamped to 9e18 ns (285 years) so that no rate overflows it.
int64_t EtaNs(int64_t remaining, double rate);

// The CPU-share warning on its own (for progress): empty when the share is
// fine or too young to say.
std::string CpuShareWarning(int64_t busy_ns, int64_t cpu_ns);

}  // namespace tminus
