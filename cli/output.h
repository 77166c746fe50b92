// Output for people and for scripts: aligned tables, CSV, proto3 JSON, and
// the units people read (1.23 s, 4.56 G/s, 98.7%).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

enum class OutputFormat { kTable, kJson, kCsv };

// "table" | "json" | "csv"; false otherwise.
bool ParseOutputFormat(const std::string& text, OutputFormat* out);

// Rows of cells; the first row is the header.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  // Cells are escaped for the terminal (names come from other people).
  void AddRow(std::vector<std::string> row);
  void PrintAligned(std::ostream& out) const;
  void PrintCsv(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// The proto3 JSON of a response message, pretty-printed, with a newline.
std::string ToJson(const google::protobuf::Message& message);

std::string FormatDuration(int64_t ns);  // "812 us", "1.234 s", "2m03s"
std::string FormatSi(double value);      // "4.92 G", "812 k", "12"
std::string FormatPercent(double fraction);  // "98.7%"
std::string FormatRatio(double value);   // "1.98"
std::string StateName(v1::JobState state);   // "running"
std::string ExecutorLabel(v1::Executor executor);  // "threads"
std::string WorkerStateName(v1::WorkerState state);

}  // namespace tminus
