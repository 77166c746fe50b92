#include "cli/follow.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/views.h"

namespace tminus {
namespace {

// How long a follower keeps re-attaching to its job while the coordinator is
// away (a restart keeps every job that was accepted).
constexpr auto kReattachFor = std::chrono::seconds(120);
constexpr auto kReattachEvery = std::chrono::milliseconds(500);

bool Transient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

// Runs `call` until it succeeds, fails for good, or the coordinator has been
// away for kReattachFor; says once that it is re-attaching.
template <typename Call>
auto Reattaching(uint64_t job_id, Call call) -> decltype(call()) {
  const auto give_up = std::chrono::steady_clock::now() + kReattachFor;
  bool told = false;
  for (;;) {
    auto result = call();
    if (result.ok() || !Transient(result.status()) ||
        std::chrono::steady_clock::now() > give_up) {
      return result;
    }
    if (!told) {
      std::cerr << "tminus: lost the coordinator (" << result.status().message()
                << "); re-attaching to job " << job_id << " (the job goes on; Ctrl-C stops "
                << "waiting, `tminus cancel " << job_id << "` stops the job)\n";
      told = true;
    }
    std::this_thread::sleep_for(kReattachEvery);
  }
}

// Written before the handler is installed: a signal handler may only write().
char interrupt_message[256];
size_t interrupt_message_size = 0;

void OnInterrupt(int) {
  ssize_t ignored = write(STDERR_FILENO, interrupt_message, interrupt_message_size);
  (void)ignored;
  _exit(130);
}

}  // namespace

InterruptNotice::InterruptNotice(uint64_t job_id) {
  const int size = snprintf(interrupt_message, sizeof(interrupt_message),
                            "\ntminus: stopped following job %llu; the job goes on. `tminus "
                            "watch %llu` follows it again, `tminus cancel %llu` stops it.\n",
                            static_cast<unsigned long long>(job_id),
                            static_cast<unsigned long long>(job_id),
                            static_cast<unsigned long long>(job_id));
  interrupt_message_size = static_cast<size_t>(std::max(size, 0));
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_);
}

InterruptNotice::~InterruptNotice() { sigaction(SIGINT, &previous_, nullptr); }

void FollowAndReport(CliContext& ctx, JobClient& client, uint64_t job_id, OutputFormat format,
                     bool show_progress) {
  InterruptNotice notice(job_id);
  ProgressView view(std::cerr, /*terminal=*/true);
  absl::StatusOr<v1::WatchJobResponse> last = Reattaching(job_id, [&] {
    return client.Watch(job_id, 200, [&](const v1::WatchJobResponse& snapshot) {
      if (show_progress) view.Update(snapshot);
    });
  });
  if (!last.ok()) {
    Fail(ctx, last.status());
    return;
  }
  absl::StatusOr<v1::JobReport> report = Reattaching(job_id, [&] { return client.Report(job_id); });
  if (!report.ok()) {
    Fail(ctx, report.status());
    return;
  }
  PrintReport(*report, format, std::cout);
  ctx.exit_code = report->state() == v1::JOB_STATE_SUCCEEDED ? kExitOk : kExitJobFailed;
}

}  // namespace tminus
