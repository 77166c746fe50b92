// How jobs, reports, workers and live progress look on a terminal and in
// CSV. JSON is always the proto3 JSON of the response message.
#pragma once

#include <ostream>
#include <vector>

#include "cli/output.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

void PrintJobs(const std::vector<v1::Job>& jobs, OutputFormat format, std::ostream& out);
void PrintJob(const v1::Job& job, OutputFormat format, std::ostream& out);
void PrintReport(const v1::JobReport& report, OutputFormat format, std::ostream& out);
void PrintWorkers(const v1::ListWorkersResponse& workers, OutputFormat format,
                  std::ostream& out);

// Live progress: redraws a block on a terminal, or prints one line per
// snapshot otherwise: key=value text (table), JSON lines, or CSV rows under
// one header. Not thread-safe.
class ProgressView {
 public:
  ProgressView(std::ostream& out, bool terminal, OutputFormat format = OutputFormat::kTable)
      : out_(out), terminal_(terminal && format == OutputFormat::kTable), format_(format) {}
  void Update(const v1::WatchJobResponse& snapshot);
  void Done();

 private:
  void PrintCsvRow(const v1::WatchJobResponse& snapshot);

  std::ostream& out_;
  bool terminal_;
  OutputFormat format_;
  int lines_drawn_ = 0;
  bool csv_header_printed_ = false;
};

}  // namespace tminus
