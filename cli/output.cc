#include "cli/output.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/text.h"
#include "google/protobuf/util/json_util.h"

namespace tminus {

bool ParseOutputFormat(const std::string& text, OutputFormat* out) {
  if (text == "table") *out = OutputFormat::kTable;
  else if (text == "json") *out = OutputFormat::kJson;
  else if (text == "csv") *out = OutputFormat::kCsv;
  else return false;
  return true;
}

Column::Column(const char* text) : title(text), key(absl::AsciiStrToLower(text)) {}

Cell Int(int64_t value) { return Cell(absl::StrCat(value)); }
Cell Seconds(int64_t ns) {
  return Cell(FormatDuration(ns), absl::StrFormat("%.9g", static_cast<double>(ns) / 1e9));
}
Cell Percent(double fraction) {
  return Cell(FormatPercent(fraction), absl::StrFormat("%.4f", fraction));
}
Cell Rate(double per_second) {
  return Cell(FormatSi(per_second), absl::StrFormat("%.0f", per_second));
}
Cell Ratio(double value) { return Cell(FormatRatio(value), absl::StrFormat("%.4f", value)); }

void Table::AddRow(std::vector<Cell> row) {
  for (Cell& cell : row) {
    cell.pretty = EscapeForTerminal(cell.pretty);
    cell.raw = EscapeForTerminal(cell.raw);
  }
  row.resize(columns_.size(), Cell(""));
  rows_.push_back(std::move(row));
}

void Table::PrintAligned(std::ostream& out) const {
  std::vector<size_t> widths(columns_.size(), 0);
  for (size_t i = 0; i < columns_.size(); ++i) {
    widths[i] = columns_[i].title.size();
    for (const auto& row : rows_) widths[i] = std::max(widths[i], row[i].pretty.size());
  }
  auto print = [&](auto cell_of) {
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].title.empty()) continue;
      if (!line.empty()) line += "  ";
      const std::string& text = cell_of(i);
      line += text;
      line += std::string(widths[i] - text.size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  print([&](size_t i) -> const std::string& { return columns_[i].title; });
  for (const auto& row : rows_) print([&](size_t i) -> const std::string& { return row[i].pretty; });
}

namespace {

std::string CsvField(const std::string& cell) {
  if (cell.find_first_of(",\"\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void Table::PrintCsv(std::ostream& out) const {
  auto print = [&](auto cell_of) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!columns_[i].key.empty()) cells.push_back(CsvField(cell_of(i)));
    }
    out << absl::StrJoin(cells, ",") << "\n";
  };
  print([&](size_t i) -> const std::string& { return columns_[i].key; });
  for (const auto& row : rows_) print([&](size_t i) -> const std::string& { return row[i].raw; });
}

void Table::Print(OutputFormat format, std::ostream& out) const {
  if (format == OutputFormat::kCsv) PrintCsv(out);
  else PrintAligned(out);
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // a zero is an answer too
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  if (json.empty() || json.back() != '\n') json += '\n';
  return json;
}

std::string FormatDuration(int64_t ns) {
  const double value = static_cast<double>(ns);
  if (ns < 1'000) return absl::StrFormat("%d ns", ns);
  if (ns < 1'000'000) return absl::StrFormat("%.1f us", value / 1e3);
  if (ns < 1'000'000'000) return absl::StrFormat("%.1f ms", value / 1e6);
  if (ns < 120'000'000'000) return absl::StrFormat("%.3f s", value / 1e9);
  const int64_t seconds = ns / 1'000'000'000;
  if (seconds < 7200) return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  return absl::StrFormat("%dh%02dm", seconds / 3600, (seconds / 60) % 60);
}

std::string FormatSi(double value) {
  static const char* kPrefixes[] = {"", " k", " M", " G", " T", " P", " E"};
  int prefix = 0;
  while (std::fabs(value) >= 1000 && prefix < 6) {
    value /= 1000;
    ++prefix;
  }
  if (prefix == 0) return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.3g%s", value, kPrefixes[prefix]);
}

std::string FormatPercent(double fraction) { return absl::StrFormat("%.1f%%", fraction * 100); }

std::string FormatRatio(double value) { return absl::StrFormat("%.2f", value); }

std::string StateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED: return "queued";
    case v1::JOB_STATE_RUNNING: return "running";
    case v1::JOB_STATE_SUCCEEDED: return "succeeded";
    case v1::JOB_STATE_FAILED: return "failed";
    case v1::JOB_STATE_CANCELLED: return "cancelled";
    default: return "unknown";
  }
}

std::string ExecutorLabel(v1::Executor executor) {
  switch (executor) {
    case v1::EXECUTOR_THREADS: return "threads";
    case v1::EXECUTOR_PROCESSES: return "processes";
    default: return "unspecified";
  }
}

std::string KernelLabel(const v1::JobSpec& spec) {
  switch (spec.kernel().kind_case()) {
    case v1::Kernel::kPython:
      return absl::StrCat("python ", spec.kernel().python().file_name(), ":",
                          spec.kernel().python().function());
    case v1::Kernel::kCommand:
      return absl::StrCat("command ", absl::StrJoin(spec.kernel().command().argv(), " "));
    default:
      return "countdown";
  }
}

const char* UnitsOf(const v1::JobSpec& spec) {
  return spec.kernel().kind_case() == v1::Kernel::KIND_NOT_SET ? "decrements" : "units";
}

std::string WorkerStateName(v1::WorkerState state) {
  switch (state) {
    case v1::WORKER_STATE_CONNECTED: return "connected";
    case v1::WORKER_STATE_DRAINING: return "draining";
    case v1::WORKER_STATE_DRAINED: return "drained";
    case v1::WORKER_STATE_DISCONNECTED: return "disconnected";
    default: return "unknown";
  }
}

}  // namespace tminus
