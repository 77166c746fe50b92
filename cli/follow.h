// Following a job to its end: live progress, then the report.
#pragma once

#include <signal.h>

#include <cstdint>

#include "cli/client.h"
#include "cli/commands.h"

namespace tminus {

// Watches the job (progress on stderr when show_progress), prints its report
// on stdout, and sets ctx.exit_code: 0 succeeded, 1 failed or cancelled.
void FollowAndReport(CliContext& ctx, JobClient& client, uint64_t job_id, OutputFormat format,
                     bool show_progress);

// While one is alive, Ctrl-C (SIGINT) says that the job goes on and how to
// cancel it, and exits 130 (the shell's code for SIGINT). One at a time.
class InterruptNotice {
 public:
  explicit InterruptNotice(uint64_t job_id);
  ~InterruptNotice();
  InterruptNotice(const InterruptNotice&) = delete;
  InterruptNotice& operator=(const InterruptNotice&) = delete;

 private:
  struct sigaction previous_;
};

}  // namespace tminus
