#include "coordinator/core/figures.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace tminus {
namespace {

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

std::string CpuShareWarning(int64_t busy_ns, int64_t cpu_ns) {
  if (busy_ns < kMinBusyForCpuShareNs) return "";
  const double share = Ratio(static_cast<double>(cpu_ns), static_cast<double>(busy_ns));
  if (share >= kLowCpuShare) return "";
  return absl::StrFormat(
      "the slots got %.0f%% of a CPU each (cpu / busy): more slots than free CPUs, or another "
      "process ran; busy time and parallelism overstate the work done",
      share * 100);
}

int64_t EtaNs(int64_t remaining, double rate) {
  if (rate <= 0) return 0;
  const double eta = static_cast<double>(remaining) / rate * 1e9;
  return eta < 9e18 ? static_cast<int64_t>(eta) : int64_t{9'000'000'000'000'000'000};
}

Figures ComputeFigures(const FigureSums& s) {
  Figures f;
  const double wall = static_cast<double>(s.wall_ns);
  const double capacity = wall * s.slots;
  f.parallelism = Ratio(static_cast<double>(s.busy_ns), wall);
  f.occupancy = Ratio(static_cast<double>(s.busy_ns), capacity);
  f.counting_fraction = Ratio(static_cast<double>(s.kernel_ns), capacity);
  f.cpu_parallelism = Ratio(static_cast<double>(s.cpu_ns), wall);
  f.cpu_share = Ratio(static_cast<double>(s.cpu_ns), static_cast<double>(s.busy_ns));
  if (std::string warning = CpuShareWarning(s.busy_ns, s.cpu_ns); !warning.empty()) {
    f.warnings.push_back(std::move(warning));
  }
  // A speedup needs a reference for every decrement, and something done.
  if (s.unreferenced_decrements == 0 && s.reference_ns > 0 && s.wall_ns > 0) {
    f.speedup = static_cast<double>(s.reference_ns) / wall;
    if (s.slots > 0) f.efficiency = *f.speedup / s.slots;
    if (s.slots > 0 && *f.speedup > 1.05 * s.slots) {
      f.warnings.push_back(absl::StrFormat(
          "speedup %.2f is above the %d slots used: the one-slot reference is too low (measured "
          "on a busier or slower CPU than the job ran on)",
          *f.speedup, s.slots));
    } else if (s.busy_ns >= kMinBusyForCpuShareNs && s.cpu_ns > 0 &&
               *f.speedup > kStaleReferenceRatio * f.cpu_parallelism) {
      // speedup / cpu parallelism = reference / cpu time: above 1, the job
      // needed less CPU than its reference says one slot would.
      f.warnings.push_back(absl::StrFormat(
          "speedup %.2f is above the %.2f CPUs the job used (cpu parallelism): its cores ran "
          "faster than when the workers calibrated, so the one-slot reference is too low",
          *f.speedup, f.cpu_parallelism));
    }
  }
  return f;
}

}  // namespace tminus
