// The scaling study written out: the table, scale.csv, scale.json, and the
// study as the coordinator keeps it.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/output.h"
#include "cli/scale.h"
#include "common/status_macros.h"
#include "common/text.h"

namespace tminus {
namespace {

std::string PercentOrDash(double fraction) { return fraction > 0 ? FormatPercent(fraction) : "-"; }

std::string Walls(const ScalePoint& p) {
  std::string walls;
  for (double w : p.wall_s) absl::StrAppendFormat(&walls, "%s%.6f", walls.empty() ? "" : ", ", w);
  return walls;
}

}  // namespace

// The `!` of the table, the CSV and the JSON: common/study_series.h, which
// the dashboard shares.
bool AboveCeiling(const ScalePoint& p) { return StudyPointAboveCeiling(p.vs_calibration); }

// max-min over the median of a point's calibrations, or "-".
std::string CalibrationSpread(const ScalePoint& p) {
  if (p.calibrated_rate <= 0) return "-";
  return FormatPercent((p.calibrated_max - p.calibrated_min) / p.calibrated_rate);
}

bool Doubtful(const ScalePoint& p) {
  return StudyPointDoubtful(p.median_s, p.min_s, p.max_s, p.efficiency, p.karp_flatt,
                            p.vs_calibration);
}

void PrintScaleTable(const ScaleStudy& study, std::ostream& out) {
  if (!study.kernel.empty()) {
    // Another kernel: its units, and no bare-kernel yardstick.
    out << absl::StrFormat(
        "n=%d units in %d chunks of %s; %d worker(s) on %d host(s), %d slots, %s; no "
        "calibration (speedups are against the series' first point)\n",
        study.n, study.chunks, EscapeForTerminal(study.kernel), study.workers, study.hosts,
        study.total_slots,
        study.physical_cores > 0 ? absl::StrCat(study.physical_cores, " physical cores")
                                 : std::string("physical cores unknown"));
  } else {
    out << absl::StrFormat(
      "n=%d in %d chunks; %d worker(s) on %d host(s), %d slots, %s; bare kernel %s "
      "decrements/s on one thread\n",
      study.n, study.chunks, study.workers, study.hosts, study.total_slots,
      study.physical_cores > 0 ? absl::StrCat(study.physical_cores, " physical cores")
                               : std::string("physical cores unknown"),
      study.bare_rate > 0 ? FormatSi(study.bare_rate) : std::string("(not calibrated)"));
  }
  Table table({"SERIES", "HOSTS", "SLOTS", "WALL(MEDIAN)", "MIN", "MAX", "SPEEDUP", "EFFICIENCY",
               "KARP-FLATT", "RATE/s", "COUNTING", "VS-CALIB", "CALIB-SPREAD"});
  bool past = false;
  bool weak = false;
  bool noisy = false;
  for (const ScalePoint& p : study.points) {
    past = past || p.past_physical_cores();
    weak = weak || p.mode == ScaleMode::kWeak;
    const bool doubtful = Doubtful(p);
    noisy = noisy || doubtful;
    table.AddRow({SeriesLabel(p), absl::StrCat(p.hosts),
                  absl::StrCat(p.slots, p.past_physical_cores() ? "*" : ""),
                  FormatDuration(static_cast<int64_t>(p.median_s * 1e9)),
                  FormatDuration(static_cast<int64_t>(p.min_s * 1e9)),
                  FormatDuration(static_cast<int64_t>(p.max_s * 1e9)), FormatRatio(p.speedup),
                  FormatPercent(p.efficiency) + (doubtful ? " !" : ""),
                  p.karp_flatt ? absl::StrFormat("%.3f", *p.karp_flatt) : "-",
                  FormatSi(p.rate), PercentOrDash(p.counting_fraction),
                  PercentOrDash(p.vs_calibration) + (AboveCeiling(p) ? " !" : ""),
                  CalibrationSpread(p)});
  }
  table.PrintAligned(out);
  if (past) {
    out << "* past the physical cores of the hosts the point may use: its slots share cores "
           "(hyper-threads) or take turns on them.\n";
  }
  out << "COUNTING: kernel time / (slots x wall), the share of slot-time spent counting; a "
         "faster or slower CPU clock does not move it.\n";
  if (study.bare_rate > 0) {
    out << "VS-CALIB: the rate over the bare kernel's on as many threads at once on the same "
           "workers (the median of calibrations of at least "
        << kMinCalibrationS << " s per thread just before and after each run; CALIB-SPREAD: "
           "their max-min over the median). Above 105% the ceiling was not one: marked !.\n";
  }
  if (noisy) {
    out << "! doubtful: the runs spread by more than " << FormatPercent(kWideSpread)
        << " (max-min over the median), or efficiency or VS-CALIB is above 105% or Karp-Flatt "
           "below 0; "
           "the machine was busy or the runs too short. Rerun with --repeat 5 (or more), or "
           "a larger -n.\n";
  }
  if (weak) {
    out << "weak: n grows with the slots (the same work per slot); EFFICIENCY is T(base) / "
           "T(N), SPEEDUP is the scaled speedup.\n";
  }
}

std::string ScaleCsv(const ScaleStudy& study) {
  std::string csv =
      "series,executor,mode,axis,placement,hosts,slots,runs,n,wall_median_seconds,wall_min_seconds,"
      "wall_max_seconds,speedup,efficiency,karp_flatt,decrements_per_second,counting_fraction,"
      "calibrated_decrements_per_second,vs_calibration,physical_cores,past_physical_cores,"
      "bare_rate_per_thread,chunks,calibrated_min_decrements_per_second,"
      "calibrated_max_decrements_per_second,doubtful\n";
  for (const ScalePoint& p : study.points) {
    absl::StrAppendFormat(
        &csv, "%s,%s,%s,%s,%s,%d,%d,%d,%d,%.6f,%.6f,%.6f,%.4f,%.4f,%s,%.0f,%.4f,%.0f,%.4f,%d,%d,"
              "%.0f,%d,%.0f,%.0f,%d\n",
        SeriesLabel(p), ExecutorLabel(p.executor), ModeName(p.mode), AxisName(p.axis),
        PlacementName(p.placement), p.hosts, p.slots, p.wall_s.size(), p.n, p.median_s, p.min_s,
        p.max_s, p.speedup, p.efficiency,
        p.karp_flatt ? absl::StrFormat("%.4f", *p.karp_flatt) : "", p.rate, p.counting_fraction,
        p.calibrated_rate, p.vs_calibration, p.physical_cores, p.past_physical_cores() ? 1 : 0,
        study.bare_rate, study.chunks, p.calibrated_min, p.calibrated_max, Doubtful(p) ? 1 : 0);
  }
  return csv;
}

std::string ScaleJson(const ScaleStudy& study) {
  std::string json = absl::StrFormat(
      "{\n  \"n\": %d,\n  \"chunks\": %d,\n  \"workers\": %d,\n  \"hosts\": %d,\n"
      "  \"total_slots\": %d,\n  \"physical_cores\": %d,\n  \"host_boundaries\": [%s],\n"
      "  \"bare_rate_per_thread\": %.0f,\n  \"points\": [",
      study.n, study.chunks, study.workers, study.hosts, study.total_slots, study.physical_cores,
      absl::StrJoin(study.host_boundaries, ", "), study.bare_rate);
  for (size_t i = 0; i < study.points.size(); ++i) {
    const ScalePoint& p = study.points[i];
    absl::StrAppendFormat(
        &json,
        "%s\n    {\"series\": \"%s\", \"executor\": \"%s\", \"mode\": \"%s\", \"axis\": \"%s\", "
        "\"placement\": \"%s\", \"hosts\": %d, \"slots\": %d, \"n\": %d, \"wall_seconds\": [%s], "
        "\"wall_median_seconds\": %.6f, \"wall_min_seconds\": %.6f, \"wall_max_seconds\": %.6f, \"speedup\": %.4f, "
        "\"efficiency\": %.4f, \"karp_flatt\": %s, \"decrements_per_second\": %.0f, "
        "\"counting_fraction\": %.4f, \"calibrated_decrements_per_second\": %.0f, "
        "\"calibrated_min_decrements_per_second\": %.0f, "
        "\"calibrated_max_decrements_per_second\": %.0f, "
        "\"vs_calibration\": %.4f, \"physical_cores\": %d, \"past_physical_cores\": %s, "
        "\"doubtful\": %s, \"job_ids\": [%s]}",
        i == 0 ? "" : ",", SeriesLabel(p), ExecutorLabel(p.executor), ModeName(p.mode),
        AxisName(p.axis), PlacementName(p.placement), p.hosts, p.slots, p.n, Walls(p),
        p.median_s, p.min_s, p.max_s, p.speedup, p.efficiency,
        p.karp_flatt ? absl::StrFormat("%.4f", *p.karp_flatt) : "null", p.rate,
        p.counting_fraction, p.calibrated_rate, p.calibrated_min, p.calibrated_max,
        p.vs_calibration, p.physical_cores, p.past_physical_cores() ? "true" : "false",
        Doubtful(p) ? "true" : "false", absl::StrJoin(p.job_ids, ", "));
  }
  json += "\n  ]\n}\n";
  return json;
}

v1::Study StudyProto(const ScaleStudy& study, int repeat, const std::string& name) {
  v1::Study out;
  out.set_name(name);
  out.set_n(study.n);
  out.set_chunk_count(study.chunks);
  out.set_repeat(repeat);
  out.set_bare_decrements_per_second(study.bare_rate);
  out.set_physical_cores(study.physical_cores);
  for (int boundary : study.host_boundaries) out.add_host_boundaries(boundary);
  for (const ScalePoint& point : study.points) {
    v1::StudyPoint* p = out.add_points();
    p->set_executor(point.executor);
    p->set_slots(point.slots);
    p->set_wall_ns(static_cast<int64_t>(point.median_s * 1e9));
    p->set_wall_min_ns(static_cast<int64_t>(point.min_s * 1e9));
    p->set_wall_max_ns(static_cast<int64_t>(point.max_s * 1e9));
    p->set_speedup(point.speedup);
    p->set_efficiency(point.efficiency);
    if (point.karp_flatt) p->set_karp_flatt(*point.karp_flatt);
    p->set_calibrated_min_decrements_per_second(point.calibrated_min);
    p->set_calibrated_max_decrements_per_second(point.calibrated_max);
    p->set_decrements_per_second(point.rate);
    p->set_counting_fraction(point.counting_fraction);
    p->set_calibrated_decrements_per_second(point.calibrated_rate);
    p->set_vs_calibration(point.vs_calibration);
    p->set_mode(ModeName(point.mode));
    p->set_axis(AxisName(point.axis));
    p->set_placement(PlacementName(point.placement));
    p->set_hosts(point.hosts);
    p->set_n(point.n);
  }
  return out;
}

absl::Status CheckWritableDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: cannot create ", dir, ": ", std::strerror(errno)));
  }
  const std::string probe = dir + "/.tminus-write-test";
  std::ofstream(probe) << "x";
  if (access(probe.c_str(), F_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--out: cannot write in ", dir));
  }
  unlink(probe.c_str());
  return absl::OkStatus();
}

absl::Status WriteScaleFiles(const ScaleStudy& study, const std::string& dir) {
  RETURN_IF_ERROR(CheckWritableDir(dir));
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::string>>{
           {"scale.csv", ScaleCsv(study)},
           {"scale.json", ScaleJson(study)},
           {"scale.svg", ScaleSvg(study)}}) {
    std::ofstream out(dir + "/" + name);
    out << content;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", dir, "/", name));
  }
  return absl::OkStatus();
}

}  // namespace tminus
