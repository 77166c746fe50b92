// The worker's side of WorkerService.Session: dials the coordinator, says
// Hello, grants credits, runs what it is assigned on the SlotPool and sends
// the results back in batches. Reconnects with backoff when the stream ends.
//
// Threading: Run() blocks the calling thread (it reads the stream); one
// sender thread per session writes (results, heartbeats). Stop() may be
// called from any thread.
#pragma once

#include <atomic>
#include <deque>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/security.h"
#include "tminus/v1/worker.grpc.pb.h"
#include "worker/credit_policy.h"
#include "worker/slot_pool.h"

namespace tminus {

struct WorkerOptions {
  std::string coordinator = "127.0.0.1:7070";
  std::string worker_id;  // default: host-pid
  int slots = 1;
  int prefetch = -1;      // extra credits beyond slots; -1: adaptive (CreditPolicy)
  bool threads = true;
  bool processes = true;
  std::string child_binary;
  std::chrono::milliseconds kill_grace{2000};
  std::chrono::milliseconds max_backoff{5000};
  ClientSecurity security;  // token and TLS towards the coordinator
  // Called with true once a session is welcomed and with false when it
  // ends (the health server's readiness); may be empty.
  std::function<void(bool connected)> on_connection;
};

class SessionClient {
 public:
  explicit SessionClient(WorkerOptions options);
  ~SessionClient();

  // Connects and serves until Stop() or a finished Drain(). Returns then.
  void Run();
  void Stop();
  // The planned stop: tell the coordinator, take no new leases, hand back
  // queued chunks, let running ones finish within `grace` (then hand them
  // back too), send every result and wait up to `ack_wait` for the
  // coordinator to acknowledge them, then close. Blocks until done.
  void Drain(std::chrono::milliseconds grace, std::chrono::milliseconds ack_wait);

  uint64_t incarnation() const { return incarnation_; }

 private:
  // One stream from Hello to its end. Returns true if it got a Welcome.
  bool RunSession(uint64_t epoch);
  void SenderLoop(uint64_t epoch, grpc::ClientReaderWriter<v1::WorkerMessage,
                                                           v1::CoordinatorMessage>* stream,
                  std::chrono::milliseconds heartbeat);
  void OnAck(uint64_t up_to_seq);
  void OnResult(uint64_t epoch, const RunResult& result);
  v1::WorkerMessage HelloMessage() const;

  const WorkerOptions options_;
  const uint64_t incarnation_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // of the live stream
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  bool session_over_ ABSL_GUARDED_BY(mu_) = false;  // tells the sender to stop
  // Results to send, built in place. The sender swaps it with its own
  // (already sent, cleared) Results, so the ChunkResult objects are reused.
  v1::Results pending_ ABSL_GUARDED_BY(mu_);
  // Sent and not yet acknowledged (durable at the coordinator), oldest
  // first; sent again on the next session.
  std::deque<v1::WorkerMessage> unacked_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::WorkerMessage> spare_ ABSL_GUARDED_BY(mu_);  // acked, cleared, reusable
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  bool resend_ ABSL_GUARDED_BY(mu_) = false;     // unacked_ goes out first on this session
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_sent_ ABSL_GUARDED_BY(mu_) = false;
  int64_t pending_count_ ABSL_GUARDED_BY(mu_) = 0;    // of this session, returning credit
  int64_t pending_busy_ns_ ABSL_GUARDED_BY(mu_) = 0;
  CreditPolicy credits_ ABSL_GUARDED_BY(mu_);

  // Last member: its runner threads call OnResult, so it must go first.
  std::unique_ptr<SlotPool> pool_;
};

}  // namespace tminus
