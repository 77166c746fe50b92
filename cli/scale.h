// The scaling study behind `tminus scale` and `tminus demo`: the same job at
// several sizes, R times each, as series:
//  - the slot axis (1, 2, 4, ... slots) with a placement: any (whichever
//    worker asks first), packed (fill one host, then the next) or spread
//    (evenly over the workers);
//  - the host axis (every slot of the first 1, 2, 4, ... hosts);
//  - strong scaling (fixed n, Amdahl's view) and, with --weak, weak scaling
//    (n grows with the slots, Gustafson's view), per executor.
// Every point reports two measures the CPU's clock cannot fool: the
// counting fraction (kernel time / (slots x wall)) and its rate against the
// bare kernel on as many threads at once on the same workers (a concurrent
// calibration before and after each run).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client.h"
#include "cli/scale_plan.h"
#include "common/job_spec.h"
#include "common/study_series.h"

namespace tminus {

enum class ScaleMode { kStrong, kWeak };
enum class ScaleAxis { kSlots, kHosts };

struct ScaleOptions {
  int64_t n = 0;  // weak: the work of one slot
  std::optional<int64_t> chunk_count;  // weak: per slot
  std::optional<int64_t> chunk_size;
  bool slot_axis = true;
  std::vector<int> slots;  // empty: DefaultSlotList of the workers used
  std::vector<int> hosts;  // the host axis; empty: none
  std::vector<Placement> placements = {Placement::kAny};
  std::vector<v1::Executor> executors = {v1::EXECUTOR_THREADS};
  bool weak = false;  // the weak series too
  int repeat = 1;
  bool calibrate = true;
  // The workers the study may use (tminus submit --on / --workers).
  Labels selector;
  std::vector<std::string> workers;
  // Null: the countdown. Other kernels get no bare-kernel calibration: their
  // speedup is against their own one-slot run, as always.
  std::shared_ptr<const KernelSpec> kernel;
};

struct ScalePoint {
  v1::Executor executor = v1::EXECUTOR_THREADS;
  ScaleMode mode = ScaleMode::kStrong;
  ScaleAxis axis = ScaleAxis::kSlots;
  Placement placement = Placement::kAny;
  int slots = 1;
  int hosts = 0;           // hosts whose workers ran chunks (the most over the runs)
  int64_t n = 0;           // this point's n
  int physical_cores = 0;  // of the hosts it could use; 0: unknown
  std::vector<double> wall_s;       // one per run
  std::vector<double> counting;     // one per run
  std::vector<double> calibration;  // one per run: decrements/s of the bare kernel, `slots` threads
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  double speedup = 0;     // strong: base wall / wall; weak: scaled (efficiency x slots / base slots)
  double efficiency = 0;  // strong: speedup / (slots / base slots); weak: base wall / wall
  std::optional<double> karp_flatt;  // strong only; unset at the base (undefined there)
  double rate = 0;        // n / median wall
  double counting_fraction = 0;  // median over the runs
  double calibrated_rate = 0;    // median over the runs; 0 without calibration
  double calibrated_min = 0;     // the spread of the calibrations
  double calibrated_max = 0;
  double vs_calibration = 0;     // rate / calibrated_rate
  std::vector<uint64_t> job_ids;

  bool past_physical_cores() const { return physical_cores > 0 && slots > physical_cores; }
};

// "threads", "threads weak", "processes packed", "threads hosts", ...
std::string SeriesLabel(const ScalePoint& point);
const char* ModeName(ScaleMode mode);  // "strong", "weak"
const char* AxisName(ScaleAxis axis);  // "slots", "hosts"

struct ScaleStudy {
  int64_t n = 0;
  int64_t chunks = 0;  // of the base job
  int total_slots = 0;
  int workers = 0;
  int hosts = 0;
  int physical_cores = 0;  // of the hosts used; 0: unknown
  std::vector<int> host_boundaries;
  double bare_rate = 0;  // the bare kernel on one thread (calibration at 1 slot); 0: unknown
  std::string kernel;    // "python busy.py:busy_wait"; empty: the countdown
  std::vector<ScalePoint> points;
};

// Karp-Flatt serial fraction for speedup s on p processors (0 when p <= 1).
// Unset where undefined: one processor, or no speedup.
std::optional<double> KarpFlatt(double speedup, double processors);

// Runs the study; `progress` gets one line per run. Every job must succeed
// with decrements == n, or the study stops with ABORTED. INVALID_ARGUMENT
// (naming the flag) for points the workers used cannot hold.
absl::StatusOr<ScaleStudy> RunScaleStudy(JobClient& client, const ScaleOptions& options,
                                         const std::function<void(const std::string&)>& progress);

// scale_output.cc
// A calibration runs each thread at least this long: seconds, not the
// ~90 ms that read up to 158% "of the ceiling" before 0.4.
inline constexpr double kMinCalibrationS = 0.5;
inline constexpr double kFallbackThreadRate = 1e9;  // decrements/s, when nothing was measured
// The table's `!` (common/study_series.h, kWideSpread and kAboveCeiling):
// the runs spread widely, efficiency or VS-CALIB above 105%, or Karp-Flatt
// below 0; it suggests --repeat.
bool Doubtful(const ScalePoint& point);
void PrintScaleTable(const ScaleStudy& study, std::ostream& out);
std::string ScaleCsv(const ScaleStudy& study);
std::string ScaleJson(const ScaleStudy& study);
// The study as the coordinator keeps it (RecordStudy), for the dashboard.
v1::Study StudyProto(const ScaleStudy& study, int repeat, const std::string& name);
// Writes scale.csv, scale.json and scale.svg into `dir` (created if missing).
absl::Status WriteScaleFiles(const ScaleStudy& study, const std::string& dir);
// Creates `dir` and checks a file can be written there (before a long study).
absl::Status CheckWritableDir(const std::string& dir);

// scale_svg.cc
std::string ScaleSvg(const ScaleStudy& study);

}  // namespace tminus
