#include "coordinator/service/watch_reactor.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/rpc.h"
#include "coordinator/service/convert.h"

namespace tminus {
namespace {

// UNAVAILABLE: the client re-attaches to the next coordinator (the job goes on).
grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "coordinator is shutting down");
}

}  // namespace

WatchReactor::WatchReactor(SchedulerHost* host, JobId job, int32_t interval_ms,
                           std::function<void()> on_end)
    : host_(host), job_(job), on_end_(std::move(on_end)) {
  if (interval_ms != 0 && (interval_ms < 50 || interval_ms > 60'000)) {
    End(ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "interval_ms: must be 0 (default 500) or between 50 and 60000, got ", interval_ms))));
    return;
  }
  if (interval_ms != 0) interval_ms_ = interval_ms;
  host_->AddListener(job_, this);
  registered_ = true;
  SendSnapshot();
}

void WatchReactor::SendSnapshot() {
  absl::StatusOr<JobProgress> progress =
      host_->Run([this](Scheduler& s) { return s.GetProgress(job_); });
  if (!progress.ok()) {
    End(ToGrpcStatus(progress.status()));
    return;
  }
  response_.Clear();
  ToProto(*progress, &response_);
  terminal_ = IsTerminal(progress->job.state);
  HappensBefore(this);
  StartWrite(&response_);
}

void WatchReactor::OnWriteDone(bool ok) {
  HappensAfter(this);
  if (!ok) {
    End(grpc::Status(grpc::StatusCode::CANCELLED, "watch stream broken"));
    return;
  }
  if (terminal_) {
    End(grpc::Status::OK);
    return;
  }
  {
    MutexLock lock(&mu_);
    if (cancelled_) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
      return;
    }
    if (stopping_) {
      End(ShuttingDown());
      return;
    }
    if (!job_finished_) {
      alarm_ = std::make_unique<grpc::Alarm>();  // a fresh alarm per tick
      alarm_pending_ = true;
      HappensBefore(this);
      alarm_->Set(std::chrono::system_clock::now() + std::chrono::milliseconds(interval_ms_),
                  [this](bool) { OnAlarm(); });
      return;
    }
  }
  SendSnapshot();  // the job ended while the last snapshot was being written
}

void WatchReactor::OnAlarm() {
  HappensAfter(this);
  {
    MutexLock lock(&mu_);
    alarm_pending_ = false;
    if (cancelled_) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
      return;
    }
    if (stopping_) {
      End(ShuttingDown());
      return;
    }
  }
  SendSnapshot();
}

void WatchReactor::OnJobFinished() {
  MutexLock lock(&mu_);
  job_finished_ = true;
  if (alarm_pending_) alarm_->Cancel();  // the callback runs now and sends the last snapshot
}

void WatchReactor::OnShutdown() {
  MutexLock lock(&mu_);
  stopping_ = true;
  if (alarm_pending_) alarm_->Cancel();  // the callback runs now and ends the stream
}

void WatchReactor::OnCancel() {
  HappensAfter(this);
  MutexLock lock(&mu_);
  cancelled_ = true;
  if (alarm_pending_) alarm_->Cancel();
}

void WatchReactor::End(const grpc::Status& status) {
  // Release first: the client may open its next watch as soon as it hears
  // the end, before OnDone runs.
  if (on_end_) on_end_();
  HappensBefore(this);
  Finish(status);
}

void WatchReactor::OnDone() {
  HappensAfter(this);
  if (registered_) host_->RemoveListener(job_, this);
  {
    MutexLock lock(&mu_);
    alarm_.reset();
  }
  delete this;
}

}  // namespace tminus
