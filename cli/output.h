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

// A column: its title on a terminal and its key in CSV (snake_case, units in
// the name: wall_seconds). An empty title hides it on a terminal, an empty
// key in CSV.
struct Column {
  Column(const char* title);  // key: the title in lower case
  Column(std::string title, std::string key) : title(std::move(title)), key(std::move(key)) {}
  std::string title;
  std::string key;
};

// A cell: what a person reads, and the raw number CSV carries.
struct Cell {
  Cell(std::string text) : pretty(text), raw(std::move(text)) {}
  Cell(const char* text) : Cell(std::string(text)) {}
  Cell(std::string pretty, std::string raw) : pretty(std::move(pretty)), raw(std::move(raw)) {}
  std::string pretty;
  std::string raw;
};
Cell Int(int64_t value);
Cell Seconds(int64_t ns);         // "42.3 ms" | 0.042272719
Cell Percent(double fraction);    // "41.6%" | 0.4161
Cell Rate(double per_second);     // "2.84 G" | 2840000000
Cell Ratio(double value);         // "1.98" | 1.9812

// Rows of cells under columns, printed aligned for people or as CSV.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Cells are escaped for the terminal (names come from other people).
  void AddRow(std::vector<Cell> row);
  void PrintAligned(std::ostream& out) const;
  void PrintCsv(std::ostream& out) const;
  // Aligned for kTable, CSV for kCsv (JSON is the caller's).
  void Print(OutputFormat format, std::ostream& out) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
};

// The proto3 JSON of a response message with every field (zeros too) and a
// newline: pretty-printed, or on one line (JSON lines) when !pretty.
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);

std::string FormatDuration(int64_t ns);  // "812 us", "1.234 s", "2m03s"
std::string FormatSi(double value);      // "4.92 G", "812 k", "12"
std::string FormatPercent(double fraction);  // "98.7%"
std::string FormatRatio(double value);   // "1.98"
std::string StateName(v1::JobState state);   // "running"
std::string ExecutorLabel(v1::Executor executor);  // "threads"
// "countdown", "python busy.py:busy_wait" or "command prog --from {start} ..."
// (raw: escape it for a terminal).
std::string KernelLabel(const v1::JobSpec& spec);
// What n counts: "decrements" for the countdown, else "units".
const char* UnitsOf(const v1::JobSpec& spec);
std::string WorkerStateName(v1::WorkerState state);

}  // namespace tminus
