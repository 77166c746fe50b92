#include "cli/views.h"

#include <map>
#include <sstream>

#include "common/text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/proto_convert.h"

namespace tminus {
namespace {

// "chunks 40" or "chunks 40 of size 2500000".
std::string Chunking(const v1::Job& job) {
  const v1::JobSpec& spec = job.spec();
  return spec.has_chunk_size()
             ? absl::StrCat("chunks ", job.chunk_total(), " of size ", spec.chunk_size())
             : absl::StrCat("chunks ", job.chunk_total());
}

std::vector<Cell> JobRow(const v1::Job& job) {
  const std::string note =
      job.waiting_reason().empty() ? job.error() : "waiting: " + job.waiting_reason();
  return {Int(static_cast<int64_t>(job.id())), job.spec().name(), StateName(job.state()),
          Int(job.spec().n()), ExecutorLabel(job.spec().executor()),
          absl::StrCat(job.chunks_done(), "/", job.chunk_total()), Int(job.chunks_done()),
          Int(job.chunk_total()), Int(job.spec().priority()), Seconds(job.elapsed_ns()),
          Cell(note, job.error()), job.waiting_reason()};
}

Table JobTable() {
  return Table({{"ID", "job_id"}, "NAME", "STATE", "N", "EXECUTOR", {"CHUNKS", ""},
                {"", "chunks_done"}, {"", "chunk_total"}, "PRIORITY",
                {"ELAPSED", "elapsed_seconds"}, "ERROR", {"", "waiting_reason"}});
}

double Fraction(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

void PrintJobs(const std::vector<v1::Job>& jobs, OutputFormat format, std::ostream& out) {
  Table table = JobTable();
  for (const v1::Job& job : jobs) table.AddRow(JobRow(job));
  table.Print(format, out);
}

void PrintJob(const v1::Job& job, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    v1::GetJobResponse response;
    *response.mutable_job() = job;
    out << ToJson(response);
    return;
  }
  if (format == OutputFormat::kCsv) {
    PrintJobs({job}, format, out);
    return;
  }
  out << "job " << job.id() << (job.spec().name().empty() ? "" : " (" + EscapeForTerminal(job.spec().name()) + ")")
      << ": " << StateName(job.state()) << "\n";
  out << "  n " << job.spec().n() << ", " << Chunking(job) << ", kernel "
      << EscapeForTerminal(KernelLabel(job.spec())) << ", executor " << ExecutorLabel(job.spec().executor())
      << ", priority " << job.spec().priority() << ", max slots "
      << (job.spec().max_slots() == 0 ? std::string("all") : absl::StrCat(job.spec().max_slots()))
      << "\n";
  out << "  progress " << FormatPercent(Fraction(job.decrements_done(), job.spec().n())) << ": "
      << job.chunks_done() << "/" << job.chunk_total() << " chunks done, "
      << job.chunks_running() << " running, " << job.chunks_prefetched()
      << " prefetched (leased, waiting on a worker), " << job.decrements_done() << " "
      << UnitsOf(job.spec()) << "\n";
  out << "  elapsed " << FormatDuration(job.elapsed_ns()) << "\n";
  const v1::JobSpec& spec = job.spec();
  if (!spec.selector().empty() || !spec.workers().empty() || spec.max_slots_per_worker() > 0) {
    const std::map<std::string, std::string> selector(spec.selector().begin(),
                                                      spec.selector().end());
    std::string placement;
    for (const auto& [key, value] : selector) {
      absl::StrAppend(&placement, placement.empty() ? "" : ",", key, "=", value);
    }
    if (!spec.workers().empty()) {
      absl::StrAppend(&placement, placement.empty() ? "" : " ", "workers=",
                      absl::StrJoin(spec.workers(), ","));
    }
    if (spec.max_slots_per_worker() > 0) {
      absl::StrAppend(&placement, placement.empty() ? "" : ", ", "at most ",
                      spec.max_slots_per_worker(), " per worker");
    }
    out << "  placement " << EscapeForTerminal(placement) << "\n";
  }
  if (spec.max_attempts() > 0 || spec.time_limit_ms() > 0) {
    out << "  limits:";
    if (spec.max_attempts() > 0) out << " " << spec.max_attempts() << " attempts per chunk";
    if (spec.time_limit_ms() > 0) {
      out << (spec.max_attempts() > 0 ? "," : "") << " time limit "
          << FormatDuration(spec.time_limit_ms() * 1'000'000);
    }
    out << "\n";
  }
  if (!job.waiting_reason().empty()) {
    out << "  waiting: " << EscapeForTerminal(job.waiting_reason()) << "\n";
  }
  if (!job.error().empty()) out << "  error: " << EscapeForTerminal(job.error()) << "\n";
}

void PrintReport(const v1::JobReport& r, OutputFormat format, std::ostream& out) {
  const v1::JobCounters& c = r.counters();
  if (format == OutputFormat::kJson) {
    v1::GetJobReportResponse response;
    *response.mutable_report() = r;
    out << ToJson(response);
    return;
  }
  if (format == OutputFormat::kCsv) {
    Table table({"job_id", "state", "n", "decrements", "exact", "chunks_done", "chunk_total",
                 "executor", "slots_used", "wall_seconds", "submit_to_done_seconds",
                 "busy_seconds", "cpu_seconds", "parallelism", "occupancy", "cpu_parallelism",
                 "cpu_share", "speedup", "efficiency", "overhead_seconds",
                 "decrements_per_second", "chunk_p50_seconds", "chunk_p99_seconds", "retries",
                 "duplicates", "failed_attempts", "lease_expiries", "backups", "handed_back",
                 "kernel_seconds", "counting_fraction", "speedup_reference", "warnings"});
    table.AddRow({Int(static_cast<int64_t>(r.job_id())), StateName(r.state()), Int(r.n()),
                  Int(r.decrements()), r.decrements() == r.n() ? "true" : "false",
                  Int(r.chunks_done()), Int(r.chunk_total()), ExecutorLabel(r.spec().executor()),
                  Int(r.slots_used()), Seconds(r.wall_ns()), Seconds(r.submit_to_done_ns()),
                  Seconds(r.busy_ns()), Seconds(r.cpu_ns()), Ratio(r.parallelism()),
                  Ratio(r.occupancy()), Ratio(r.cpu_parallelism()), Ratio(r.cpu_share()),
                  r.has_speedup() ? Ratio(r.speedup()) : "",
                  r.has_efficiency() ? Ratio(r.efficiency()) : "", Seconds(r.overhead_ns()),
                  Rate(r.decrements_per_second()), Seconds(r.chunk_durations().p50_ns()),
                  Seconds(r.chunk_durations().p99_ns()), Int(c.retries()), Int(c.duplicates()),
                  Int(c.failed_attempts()), Int(c.lease_expiries()), Int(c.backups()),
                  Int(c.handed_back()), Seconds(r.kernel_ns()), Ratio(r.counting_fraction()),
                  r.speedup_reference(), absl::StrJoin(r.warnings(), "; ")});
    table.PrintCsv(out);
    return;
  }
  out << "job " << r.job_id() << (r.spec().name().empty() ? "" : " (" + EscapeForTerminal(r.spec().name()) + ")")
      << ": " << StateName(r.state()) << "\n";
  out << "  " << UnitsOf(r.spec()) << " " << r.decrements() << " of n " << r.n()
      << (r.decrements() == r.n() ? " (exact)" : " (incomplete)") << ", chunks "
      << r.chunks_done() << "/" << r.chunk_total() << ", executor "
      << ExecutorLabel(r.spec().executor()) << ", kernel " << EscapeForTerminal(KernelLabel(r.spec()))
      << ", slots used " << r.slots_used() << "\n";
  out << "  wall " << FormatDuration(r.wall_ns()) << ", submit to done "
      << FormatDuration(r.submit_to_done_ns()) << ", busy " << FormatDuration(r.busy_ns())
      << ", cpu " << FormatDuration(r.cpu_ns()) << "\n";
  // Speedup first: the one figure backed by a measured reference.
  if (r.has_speedup()) {
    out << "  speedup " << FormatRatio(r.speedup()) << ", efficiency "
        << FormatPercent(r.efficiency()) << " (against " << EscapeForTerminal(r.speedup_reference())
        << ")\n";
  } else {
    out << "  speedup - (" << EscapeForTerminal(r.speedup_reference()) << ")\n";
  }
  out << "  rate " << FormatSi(r.decrements_per_second()) << " " << UnitsOf(r.spec()) << "/s; CPUs: "
      << FormatRatio(r.cpu_parallelism()) << " in use on average, " << FormatPercent(r.cpu_share())
      << " of a CPU per busy slot\n";
  // Occupancy: how well tminus kept its slots fed, blind to whether they had CPUs.
  out << "  slots: parallelism " << FormatRatio(r.parallelism()) << " (busy / wall), occupancy "
      << FormatPercent(r.occupancy()) << ", counting " << FormatPercent(r.counting_fraction())
      << " of slot-time, overhead " << FormatDuration(r.overhead_ns()) << "\n";
  for (const std::string& warning : r.warnings()) {
    out << "  warning: " << EscapeForTerminal(warning) << "\n";
  }
  const v1::DurationStats& d = r.chunk_durations();
  out << "  chunk durations: min " << FormatDuration(d.min_ns()) << ", p50 "
      << FormatDuration(d.p50_ns()) << ", p90 " << FormatDuration(d.p90_ns()) << ", p99 "
      << FormatDuration(d.p99_ns()) << ", max " << FormatDuration(d.max_ns()) << "\n";
  out << "  retries " << c.retries() << ", duplicates " << c.duplicates()
      << ", failed attempts " << c.failed_attempts() << ", lease expiries " << c.lease_expiries()
      << ", backups " << c.backups() << ", handed back " << c.handed_back() << "\n";
  if (!r.error().empty()) out << "  error: " << EscapeForTerminal(r.error()) << "\n";
  Table table({"  WORKER", "SLOT", "CHUNKS", "DECREMENTS", "BUSY", "UTILISATION", "RATE/s"});
  // Cells built from plain text: this table is for people only.
  for (const v1::WorkerReport& w : r.workers()) {
    table.AddRow({"  " + w.worker_id(), absl::StrCat("all ", w.slots()), absl::StrCat(w.chunks()),
                  absl::StrCat(w.decrements()), FormatDuration(w.busy_ns()),
                  FormatPercent(w.utilisation()), FormatSi(w.decrements_per_second())});
    for (const v1::SlotReport& s : w.slot_reports()) {
      table.AddRow({"", absl::StrCat(s.slot()), absl::StrCat(s.chunks()),
                    absl::StrCat(s.decrements()), FormatDuration(s.busy_ns()),
                    FormatPercent(s.utilisation()), ""});
    }
  }
  if (r.workers_size() > 0) table.PrintAligned(out);
}

namespace {

// Labels a selector can use, but host and executors (columns of their own)
// and cpu_model (in the hardware columns).
std::string OtherLabels(const v1::WorkerInfo& w) {
  std::string text;
  for (const auto& [key, value] : std::map<std::string, std::string>(w.labels().begin(),
                                                                     w.labels().end())) {
    if (key == "host" || key == "executors" || key == "cpu_model") continue;
    absl::StrAppend(&text, text.empty() ? "" : ",", key, "=", value);
  }
  return text;
}

// The one-slot reference: the median rate, and in a table its spread and age.
Cell CalibrationCell(const v1::WorkerInfo& w, bool csv) {
  if (!w.has_calibration()) return csv ? Cell("") : Cell("-");
  const v1::Calibration& c = w.calibration();
  if (csv) return Rate(c.decrements_per_second());
  const double spread = c.decrements_per_second() > 0
                            ? (c.max_decrements_per_second() - c.min_decrements_per_second()) /
                                  c.decrements_per_second()
                            : 0;
  return absl::StrFormat("%s ±%.1f%% %ds ago", FormatSi(c.decrements_per_second()),
                         spread * 50, c.age_ms() / 1000);
}

// The worker's own report of its CPU (cores used) and resident memory
// (itself and the processes it started); none from a worker gone, or from
// one before 0.3.1.
bool UsageKnown(const v1::WorkerInfo& w) {
  return w.has_usage() && w.state() != v1::WORKER_STATE_DISCONNECTED;
}
Cell CpuCell(const v1::WorkerInfo& w, bool csv) {
  if (!UsageKnown(w)) return csv ? Cell("") : Cell("-");
  return Ratio(w.cpu_cores());
}
Cell MemoryCell(const v1::WorkerInfo& w, bool csv) {
  if (!UsageKnown(w)) return csv ? Cell("") : Cell("-");
  const int64_t bytes = w.usage().resident_bytes();
  return Cell(FormatSi(static_cast<double>(bytes)) + "B", absl::StrCat(bytes));
}

std::vector<std::string> HardwareCells(const v1::WorkerInfo& w) {
  const v1::Topology& t = w.topology();
  if (t.logical_cpus() == 0) return {"-", "-", "-", "-", "-", "-"};  // a worker before 0.3
  return {absl::StrCat(t.logical_cpus()), absl::StrCat(t.physical_cores()),
          absl::StrCat(t.sockets()), absl::StrCat(t.numa_nodes()), t.smt() ? "on" : "off",
          t.cpu_model()};
}

}  // namespace

void PrintWorkers(const v1::ListWorkersResponse& workers, OutputFormat format,
                  std::ostream& out) {
  if (format == OutputFormat::kJson) {
    out << ToJson(workers);
    return;
  }
  const bool csv = format == OutputFormat::kCsv;
  const std::vector<Column> hardware_columns = {"CPUS", "CORES", "SOCKETS", "NUMA", "SMT",
                                                "CPU_MODEL", "LABELS"};
  std::vector<Column> columns = {{"WORKER", "worker_id"},    "HOST",
                                 "STATE",                    "SLOTS",
                                 "EXECUTORS",                {"RUNNING", "chunks_running"},
                                 {"PREFETCHED", "chunks_prefetched"},
                                 {"CALIBRATED/s", "calibrated_decrements_per_second"},
                                 {"CPU", "cpu_cores"},       {"MEMORY", "resident_bytes"},
                                 {"CHUNKS", "chunks_done"},  {"DECREMENTS", "decrements_done"},
                                 {"BUSY", "busy_seconds"},   "SESSIONS",
                                 {"EXPIRIES", "lease_expiries"}, "DRAINS",
                                 {"LOST", "leases_lost"},    "VERSION"};
  if (csv) columns.insert(columns.end(), hardware_columns.begin(), hardware_columns.end());
  Table table(columns);
  std::vector<Column> hardware_table_columns = {{"WORKER", "worker_id"}};
  hardware_table_columns.insert(hardware_table_columns.end(), hardware_columns.begin(),
                                hardware_columns.end());
  Table hardware(hardware_table_columns);
  for (const v1::WorkerInfo& w : workers.workers()) {
    std::string executors;
    for (int e : w.executors()) {
      executors += (executors.empty() ? "" : "+") + ExecutorLabel(static_cast<v1::Executor>(e));
    }
    // The client kernels it allows (--allow-kernels), after the executors.
    for (int k : w.kernels()) {
      executors += k == v1::KERNEL_KIND_PYTHON ? "+python" : k == v1::KERNEL_KIND_COMMAND ? "+command" : "";
    }
    std::vector<Cell> row = {w.worker_id(), w.host(), WorkerStateName(w.state()), Int(w.slots()),
                             executors, Int(w.chunks_running()), Int(w.chunks_prefetched()),
                             CalibrationCell(w, csv), CpuCell(w, csv), MemoryCell(w, csv),
                             Int(w.chunks_done()), Int(w.decrements_done()), Seconds(w.busy_ns()),
                             Int(w.sessions()), Int(w.lease_expiries()), Int(w.drains()),
                             Int(w.leases_lost()), w.version()};
    std::vector<std::string> cells = HardwareCells(w);
    cells.push_back(OtherLabels(w));
    if (csv) {
      row.insert(row.end(), cells.begin(), cells.end());
    } else {
      cells.insert(cells.begin(), w.worker_id());
      hardware.AddRow({cells.begin(), cells.end()});
    }
    table.AddRow(row);
  }
  if (csv) return table.PrintCsv(out);
  table.PrintAligned(out);
  if (workers.workers_size() == 0) return;
  out << "\n";
  hardware.PrintAligned(out);
}

void ProgressView::Update(const v1::WatchJobResponse& s) {
  const v1::Job& job = s.job();
  const double done = Fraction(job.decrements_done(), job.spec().n());
  const std::string eta = s.eta_ns() > 0 ? FormatDuration(s.eta_ns()) : "-";
  if (format_ == OutputFormat::kJson) {
    out_ << ToJson(s, /*pretty=*/false);
    out_.flush();
    return;
  }
  if (format_ == OutputFormat::kCsv) return PrintCsvRow(s);
  if (!terminal_) {
    out_ << absl::StrFormat("job=%d state=%s progress=%.1f%% chunks=%d/%d running=%d "
                            "prefetched=%d rate=%s/s eta=%s cpu_share=%.2f%s\n",
                            job.id(), StateName(job.state()), done * 100, job.chunks_done(),
                            job.chunk_total(), job.chunks_running(), job.chunks_prefetched(),
                            FormatSi(s.decrements_per_second()), eta, s.cpu_share(),
                            s.warnings_size() > 0 ? " warning=\"" + EscapeForTerminal(s.warnings(0)) + "\"" : "");
    out_.flush();
    return;
  }
  if (lines_drawn_ > 0) out_ << "\x1b[" << lines_drawn_ << "F";  // back to the block's start
  constexpr int kBarWidth = 30;
  const int filled = static_cast<int>(done * kBarWidth);
  out_ << "\x1b[2K" << absl::StrFormat("job %d %-9s [%s%s] %5.1f%%  %s dec/s  ETA %s  chunks %d/%d",
                                       job.id(), StateName(job.state()),
                                       std::string(filled, '#'),
                                       std::string(kBarWidth - filled, '.'), done * 100,
                                       FormatSi(s.decrements_per_second()), eta,
                                       job.chunks_done(), job.chunk_total())
       << "\n";
  int lines = 1;
  for (const v1::WorkerProgress& w : s.workers()) {
    out_ << "\x1b[2K"
         << absl::StrFormat("  %-24s slots %-3d running %-3d prefetched %-3d done %-6d decrements %s",
                            EscapeForTerminal(w.worker_id()), w.slots(), w.chunks_running(),
                            w.chunks_prefetched(), w.chunks_done(),
                            FormatSi(static_cast<double>(w.decrements_done())))
         << "\n";
    ++lines;
  }
  for (const std::string& warning : s.warnings()) {
    out_ << "\x1b[2K  warning: " << EscapeForTerminal(warning) << "\n";
    ++lines;
  }
  for (int i = lines; i < lines_drawn_; ++i) out_ << "\x1b[2K\n";  // clear leftovers
  lines_drawn_ = std::max(lines, lines_drawn_);
  out_.flush();
}

void ProgressView::PrintCsvRow(const v1::WatchJobResponse& s) {
  const v1::Job& job = s.job();
  Table table({"job_id", "state", "chunks_done", "chunk_total", "chunks_running",
               "chunks_prefetched", "decrements_done", "n", "elapsed_seconds",
               "decrements_per_second", "eta_seconds", "cpu_share", "warnings"});
  table.AddRow({Int(static_cast<int64_t>(job.id())), StateName(job.state()),
                Int(job.chunks_done()), Int(job.chunk_total()), Int(job.chunks_running()),
                Int(job.chunks_prefetched()), Int(job.decrements_done()), Int(job.spec().n()),
                Seconds(job.elapsed_ns()), Rate(s.decrements_per_second()), Seconds(s.eta_ns()),
                Ratio(s.cpu_share()), absl::StrJoin(s.warnings(), "; ")});
  std::ostringstream rows;
  table.PrintCsv(rows);
  std::string text = rows.str();
  if (csv_header_printed_) text.erase(0, text.find('\n') + 1);
  csv_header_printed_ = true;
  out_ << text;
  out_.flush();
}

void ProgressView::Done() { out_.flush(); }

}  // namespace tminus
