#include "cli/output.h"

#include <algorithm>
#include <cmath>

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

void Table::AddRow(std::vector<std::string> row) {
  for (std::string& cell : row) cell = EscapeForTerminal(cell);
  rows_.push_back(std::move(row));
}

void Table::PrintAligned(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

void Table::PrintCsv(std::ostream& out) const {
  for (const auto& row : rows_) {
    std::vector<std::string> cells;
    for (const std::string& cell : row) {
      if (cell.find_first_of(",\"\n") == std::string::npos) {
        cells.push_back(cell);
        continue;
      }
      std::string quoted = "\"";
      for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      cells.push_back(quoted + "\"");
    }
    out << absl::StrJoin(cells, ",") << "\n";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
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

std::string WorkerStateName(v1::WorkerState state) {
  switch (state) {
    case v1::WORKER_STATE_CONNECTED: return "connected";
    case v1::WORKER_STATE_DRAINING: return "draining";
    case v1::WORKER_STATE_DISCONNECTED: return "disconnected";
    default: return "unknown";
  }
}

}  // namespace tminus
