// One worker's Session stream on the coordinator.
//
// Threading: gRPC calls the reactions on its threads; Deliver is called by
// SchedulerHost under its lock. The write queue and the finish flag are
// guarded by mu_. One write is in flight at a time; leases queued behind it
// are coalesced into one Assign. Reads are handled one at a time (the next
// read starts when the previous message has been applied). Each call that
// starts a reaction is marked HappensBefore(this) and each reaction starts
// with HappensAfter(this): gRPC orders them, ThreadSanitizer cannot see it.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "coordinator/service/scheduler_host.h"
#include "google/protobuf/arena.h"
#include "tminus/v1/worker.pb.h"

namespace tminus {

class SessionReactor final
    : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>,
      public SessionSink {
 public:
  // `on_done` runs once the stream is over (releases its admission slot).
  SessionReactor(SchedulerHost* host, std::string peer, std::function<void()> on_done);

  void Deliver(Outbox outbox) override;
  void DeliverAck(uint64_t seq) override;

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override {}
  void OnDone() override;

 private:
  // Applies one message; returns a non-OK status to end the stream with.
  absl::Status Apply(const v1::WorkerMessage& message);
  absl::Status ApplyHello(const v1::Hello& hello);
  void Enqueue(v1::CoordinatorMessage message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Kernel definitions in one Assign, at most about this many bytes.
  static constexpr size_t kKernelBytesPerAssign = size_t{4} << 20;
  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndWith(const absl::Status& status);

  SchedulerHost* const host_;
  const std::string peer_;
  const std::function<void()> on_done_;
  // Incoming messages are parsed into an arena that is reset after each one:
  // a batch of thousands of results costs no malloc per result. Touched only
  // by the read reactions.
  std::unique_ptr<char[]> arena_block_;
  google::protobuf::Arena arena_;
  v1::WorkerMessage* incoming_ = nullptr;
  // Set once by the Hello (a read reaction), read by later reactions and by
  // OnDone, which gRPC may run on other threads.
  std::atomic<SessionId> session_{0};

  Mutex mu_;
  std::deque<v1::CoordinatorMessage> outgoing_ ABSL_GUARDED_BY(mu_);
  // Written Assign messages, emptied but keeping their Lease objects for reuse.
  std::vector<v1::CoordinatorMessage> spare_assigns_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_after_writes_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tminus
