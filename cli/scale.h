// The scaling study behind `tminus scale` and `tminus demo`: the same job at
// 1, 2, 4, ... slots (max_slots), R times each, per executor, with the bare
// kernel's single-thread rate measured on the worker as the ceiling.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/client.h"

namespace tminus {

struct ScaleOptions {
  int64_t n = 0;
  std::optional<int64_t> chunk_count;
  std::optional<int64_t> chunk_size;
  std::vector<int> slots;                // empty: 1, 2, 4, ... up to the cluster's total, and it
  std::vector<v1::Executor> executors = {v1::EXECUTOR_THREADS};
  int repeat = 1;
};

struct ScalePoint {
  v1::Executor executor = v1::EXECUTOR_THREADS;
  int slots = 1;
  std::vector<double> wall_s;  // one per repeat
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  double speedup = 0;          // 1-slot median / this median
  double efficiency = 0;       // speedup / slots
  double karp_flatt = 0;       // serial fraction (1/S - 1/p) / (1 - 1/p); 0 at 1 slot
  double rate = 0;             // decrements/s at the median
  double ceiling_efficiency = 0;  // rate / (slots x bare kernel rate)
  std::vector<uint64_t> job_ids;
};

struct ScaleStudy {
  int64_t n = 0;
  int64_t chunks = 0;
  int total_slots = 0;
  int workers = 0;
  double bare_rate = 0;  // decrements/s of one bare kernel thread on a worker
  std::vector<ScalePoint> points;
};

// The default slot list for a cluster of `total` slots: powers of two below
// it, then the total itself.
std::vector<int> DefaultSlotList(int total);
// Karp-Flatt serial fraction for speedup s on p processors (0 when p == 1).
double KarpFlatt(double speedup, int slots);

// Runs the study; `progress` gets one line per job. Every job must succeed
// with decrements == n, or the study stops with an error.
absl::StatusOr<ScaleStudy> RunScaleStudy(JobClient& client, const ScaleOptions& options,
                                         const std::function<void(const std::string&)>& progress);

void PrintScaleTable(const ScaleStudy& study, std::ostream& out);
std::string ScaleCsv(const ScaleStudy& study);
std::string ScaleJson(const ScaleStudy& study);
std::string ScaleSvg(const ScaleStudy& study);
// The study as the coordinator keeps it (RecordStudy), for the dashboard.
v1::Study StudyProto(const ScaleStudy& study, int repeat, const std::string& name);
// Writes scale.csv, scale.json and scale.svg into `dir` (created if missing).
absl::Status WriteScaleFiles(const ScaleStudy& study, const std::string& dir);

}  // namespace tminus
