// Following a job to its end: live progress, then the report.
#pragma once

#include <cstdint>

#include "cli/client.h"
#include "cli/commands.h"

namespace tminus {

// Watches the job (progress on stderr when show_progress), prints its report
// on stdout, and sets ctx.exit_code: 0 succeeded, 1 failed or cancelled.
void FollowAndReport(CliContext& ctx, JobClient& client, uint64_t job_id, OutputFormat format,
                     bool show_progress);

}  // namespace tminus
