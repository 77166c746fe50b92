// One WatchJob stream: a progress snapshot every interval, and at once when
// the job ends; the last snapshot carries the terminal state.
//
// Threading: reactions run on gRPC threads, the alarm callback on a gRPC
// thread, OnJobFinished under the SchedulerHost lock. At most one of "write
// in flight" and "alarm pending" holds at a time; mu_ guards the flags.
// Calls that start a reaction and the reactions are marked for
// ThreadSanitizer (HappensBefore/HappensAfter, common/mutex.h).
#pragma once

#include <functional>
#include <memory>

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "coordinator/service/scheduler_host.h"
#include "tminus/v1/jobs.pb.h"

namespace tminus {

class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchJobResponse>,
                           public JobListener {
 public:
  // `on_end` runs once, as the stream ends (releases its admission slot).
  WatchReactor(SchedulerHost* host, JobId job, int32_t interval_ms, std::function<void()> on_end);

  void OnJobFinished() override;
  void OnShutdown() override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void SendSnapshot();
  void OnAlarm();
  void End(const grpc::Status& status);  // the one way to Finish

  SchedulerHost* const host_;
  const JobId job_;
  const std::function<void()> on_end_;
  int64_t interval_ms_ = 500;
  v1::WatchJobResponse response_;  // owned by the write in flight
  bool terminal_ = false;          // set before each write, read after it

  Mutex mu_;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  bool alarm_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool job_finished_ ABSL_GUARDED_BY(mu_) = false;  // may end while a write is in flight
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;      // the coordinator is shutting down
  bool registered_ = false;
};

}  // namespace tminus
