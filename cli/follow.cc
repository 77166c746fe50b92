#include "cli/follow.h"

#include <iostream>

#include "cli/views.h"

namespace tminus {

void FollowAndReport(CliContext& ctx, JobClient& client, uint64_t job_id, OutputFormat format,
                     bool show_progress) {
  ProgressView view(std::cerr, /*terminal=*/true);
  absl::StatusOr<v1::WatchJobResponse> last =
      client.Watch(job_id, 200, [&](const v1::WatchJobResponse& snapshot) {
        if (show_progress) view.Update(snapshot);
      });
  if (!last.ok()) {
    Fail(ctx, last.status());
    return;
  }
  absl::StatusOr<v1::JobReport> report = client.Report(job_id);
  if (!report.ok()) {
    Fail(ctx, report.status());
    return;
  }
  PrintReport(*report, format, std::cout);
  ctx.exit_code = report->state() == v1::JOB_STATE_SUCCEEDED ? kExitOk : kExitJobFailed;
}

}  // namespace tminus
