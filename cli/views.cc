#include "cli/views.h"

#include <map>

#include "common/text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/proto_convert.h"

namespace tminus {
namespace {

std::string Chunking(const v1::JobSpec& spec) {
  return spec.has_chunk_size() ? absl::StrCat("size ", spec.chunk_size())
                               : absl::StrCat("count ", spec.chunk_count());
}

std::vector<std::string> JobRow(const v1::Job& job) {
  return {absl::StrCat(job.id()), job.spec().name(), StateName(job.state()),
          absl::StrCat(job.spec().n()), ExecutorLabel(job.spec().executor()),
          absl::StrCat(job.chunks_done(), "/", job.chunk_total()),
          absl::StrCat(job.spec().priority()), FormatDuration(job.elapsed_ns()),
          job.waiting_reason().empty() ? job.error() : "waiting: " + job.waiting_reason()};
}

Table JobTable() {
  return Table({"ID", "NAME", "STATE", "N", "EXECUTOR", "CHUNKS", "PRIORITY", "ELAPSED",
                "ERROR"});
}

double Fraction(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

void PrintJobs(const std::vector<v1::Job>& jobs, OutputFormat format, std::ostream& out) {
  Table table = JobTable();
  for (const v1::Job& job : jobs) table.AddRow(JobRow(job));
  if (format == OutputFormat::kCsv) table.PrintCsv(out);
  else table.PrintAligned(out);
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
  out << "  n " << job.spec().n() << ", chunks " << Chunking(job.spec()) << " ("
      << job.chunk_total() << "), executor " << ExecutorLabel(job.spec().executor())
      << ", priority " << job.spec().priority() << ", max slots "
      << (job.spec().max_slots() == 0 ? std::string("all") : absl::StrCat(job.spec().max_slots()))
      << "\n";
  out << "  progress " << FormatPercent(Fraction(job.decrements_done(), job.spec().n())) << ": "
      << job.chunks_done() << "/" << job.chunk_total() << " chunks done, "
      << job.chunks_running() << " running, " << job.decrements_done() << " decrements\n";
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
    Table table({"job_id", "state", "n", "decrements", "exact", "chunks", "executor",
                 "slots_used", "wall_ns", "busy_ns", "cpu_ns", "speedup", "efficiency",
                 "overhead_ns", "decrements_per_second", "chunk_p50_ns", "chunk_p99_ns",
                 "retries", "duplicates", "failed_attempts", "lease_expiries", "backups",
                 "handed_back", "kernel_ns", "counting_fraction"});
    table.AddRow({absl::StrCat(r.job_id()), StateName(r.state()), absl::StrCat(r.n()),
                  absl::StrCat(r.decrements()), r.decrements() == r.n() ? "true" : "false",
                  absl::StrCat(r.chunks_done()), ExecutorLabel(r.spec().executor()),
                  absl::StrCat(r.slots_used()), absl::StrCat(r.wall_ns()),
                  absl::StrCat(r.busy_ns()), absl::StrCat(r.cpu_ns()),
                  absl::StrFormat("%.4f", r.speedup()), absl::StrFormat("%.4f", r.efficiency()),
                  absl::StrCat(r.overhead_ns()), absl::StrFormat("%.0f", r.decrements_per_second()),
                  absl::StrCat(r.chunk_durations().p50_ns()),
                  absl::StrCat(r.chunk_durations().p99_ns()), absl::StrCat(c.retries()),
                  absl::StrCat(c.duplicates()), absl::StrCat(c.failed_attempts()),
                  absl::StrCat(c.lease_expiries()), absl::StrCat(c.backups()),
                  absl::StrCat(c.handed_back()), absl::StrCat(r.kernel_ns()),
                  absl::StrFormat("%.4f", r.counting_fraction())});
    table.PrintCsv(out);
    return;
  }
  out << "job " << r.job_id() << (r.spec().name().empty() ? "" : " (" + EscapeForTerminal(r.spec().name()) + ")")
      << ": " << StateName(r.state()) << "\n";
  out << "  decrements " << r.decrements() << " of n " << r.n()
      << (r.decrements() == r.n() ? " (exact)" : " (incomplete)") << ", chunks "
      << r.chunks_done() << "/" << r.chunk_total() << ", executor "
      << ExecutorLabel(r.spec().executor()) << ", slots used " << r.slots_used() << "\n";
  out << "  wall " << FormatDuration(r.wall_ns()) << ", submit to done "
      << FormatDuration(r.submit_to_done_ns()) << ", busy " << FormatDuration(r.busy_ns())
      << ", cpu " << FormatDuration(r.cpu_ns()) << "\n";
  out << "  speedup " << FormatRatio(r.speedup()) << ", efficiency "
      << FormatPercent(r.efficiency()) << ", overhead " << FormatDuration(r.overhead_ns())
      << ", rate " << FormatSi(r.decrements_per_second()) << " decrements/s\n";
  // The share of slot-time spent inside the countdown loop: what a faster or
  // slower CPU clock cannot move.
  out << "  counting " << FormatPercent(r.counting_fraction()) << " of slot-time (kernel "
      << FormatDuration(r.kernel_ns()) << " / " << r.slots_used() << " slots x wall)\n";
  const v1::DurationStats& d = r.chunk_durations();
  out << "  chunk durations: min " << FormatDuration(d.min_ns()) << ", p50 "
      << FormatDuration(d.p50_ns()) << ", p90 " << FormatDuration(d.p90_ns()) << ", p99 "
      << FormatDuration(d.p99_ns()) << ", max " << FormatDuration(d.max_ns()) << "\n";
  out << "  retries " << c.retries() << ", duplicates " << c.duplicates()
      << ", failed attempts " << c.failed_attempts() << ", lease expiries " << c.lease_expiries()
      << ", backups " << c.backups() << ", handed back " << c.handed_back() << "\n";
  if (!r.error().empty()) out << "  error: " << EscapeForTerminal(r.error()) << "\n";
  Table table({"  WORKER", "SLOT", "CHUNKS", "DECREMENTS", "BUSY", "UTILISATION", "RATE/s"});
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
  const std::vector<std::string> hardware_header = {"CPUS", "CORES", "SOCKETS", "NUMA", "SMT",
                                                    "CPU_MODEL", "LABELS"};
  std::vector<std::string> header = {"WORKER", "HOST", "STATE", "SLOTS", "EXECUTORS",
                                     "RUNNING", "CHUNKS", "DECREMENTS", "BUSY", "SESSIONS",
                                     "EXPIRIES", "DRAINS", "LOST", "VERSION"};
  const bool csv = format == OutputFormat::kCsv;
  if (csv) header.insert(header.end(), hardware_header.begin(), hardware_header.end());
  Table table(header);
  std::vector<std::string> hardware_columns = {"WORKER"};
  hardware_columns.insert(hardware_columns.end(), hardware_header.begin(), hardware_header.end());
  Table hardware(hardware_columns);
  for (const v1::WorkerInfo& w : workers.workers()) {
    std::string executors;
    for (int e : w.executors()) {
      executors += (executors.empty() ? "" : "+") + ExecutorLabel(static_cast<v1::Executor>(e));
    }
    std::vector<std::string> row = {
        w.worker_id(), w.host(), WorkerStateName(w.state()), absl::StrCat(w.slots()),
        executors, absl::StrCat(w.chunks_running()), absl::StrCat(w.chunks_done()),
        absl::StrCat(w.decrements_done()), FormatDuration(w.busy_ns()),
        absl::StrCat(w.sessions()), absl::StrCat(w.lease_expiries()), absl::StrCat(w.drains()),
        absl::StrCat(w.leases_lost()), w.version()};
    std::vector<std::string> cells = HardwareCells(w);
    cells.push_back(OtherLabels(w));
    if (csv) {
      row.insert(row.end(), cells.begin(), cells.end());
    } else {
      cells.insert(cells.begin(), w.worker_id());
      hardware.AddRow(cells);
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
  if (!terminal_) {
    out_ << absl::StrFormat("job=%d state=%s progress=%.1f%% chunks=%d/%d running=%d rate=%s/s "
                            "eta=%s\n",
                            job.id(), StateName(job.state()), done * 100, job.chunks_done(),
                            job.chunk_total(), job.chunks_running(),
                            FormatSi(s.decrements_per_second()), eta);
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
         << absl::StrFormat("  %-24s slots %-3d leased %-3d done %-6d decrements %s",
                            EscapeForTerminal(w.worker_id()), w.slots(), w.chunks_running(), w.chunks_done(),
                            FormatSi(static_cast<double>(w.decrements_done())))
         << "\n";
    ++lines;
  }
  for (int i = lines; i < lines_drawn_; ++i) out_ << "\x1b[2K\n";  // clear leftovers
  lines_drawn_ = std::max(lines, lines_drawn_);
  out_.flush();
}

void ProgressView::Done() { out_.flush(); }

}  // namespace tminus
