// The worker's transport: dials the coordinator, opens one Session stream
// after another, and moves messages between the stream, the session core
// (WorkerSession: every decision) and the slot pool.
//
// Threading: Run() blocks the calling thread; it reads the stream of the
// live session. One writer thread per session takes messages from the core
// and writes them. Runner threads hand results to the core. Stop() and
// Drain() may be called from any other thread. One mutex guards the core.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "common/labels.h"
#include "common/mutex.h"
#include "common/topology.h"
#include "common/security.h"
#include "tminus/v1/worker.grpc.pb.h"
#include "worker/calibrator.h"
#include "worker/slot_pool.h"
#include "worker/worker_session.h"

namespace tminus {

// Who the worker is (worker_id: default host-pid; kernels: client code it
// may run besides the countdown, --allow-kernels; labels: what job
// selectors match, "host" names the host), and how it connects and runs.
// Its host, version and incarnation are filled when the session starts.
struct WorkerOptions : WorkerIdentity {
  WorkerOptions() {
    slots = 1;
    threads = processes = true;
  }

  std::string coordinator = "127.0.0.1:7070";
  int prefetch = -1;      // extra credits beyond slots; -1: adaptive (CreditPolicy)
  CommandOptions command;  // --run-as, --kill-grace
  std::string child_binary;
  std::chrono::milliseconds kill_grace{2000};
  int64_t max_unacked_results = 262'144;
  ClientSecurity security;  // token and TLS towards the coordinator
  bool pin = false;         // pin slot i to topology.pin_order[i % size]
  // The bare kernel measured while idle; 0 samples: never (no job this
  // worker runs then has a speedup).
  CalibratorOptions calibration;
  // Called with true once a session is welcomed and with false when it
  // ends (the health server's readiness); may be empty.
  std::function<void(bool connected)> on_connection;
};

// What Run() came to.
enum class RunEnd { kStopped, kRefused };

class SessionClient {
 public:
  explicit SessionClient(WorkerOptions options);
  ~SessionClient();

  // Connects and serves until Stop(), a finished Drain(), or a refusal by
  // the coordinator (a wrong token, a name in use, a bad hello: retrying
  // cannot help; refusal() says why).
  RunEnd Run();
  void Stop();
  // The planned stop: tell the coordinator, take no new leases, hand back
  // queued chunks, let running ones finish within `grace` (then stop them
  // and hand them back too), send every result and wait up to `ack_wait`
  // for the coordinator to acknowledge them, then Stop(). Blocks until done.
  void Drain(std::chrono::milliseconds grace, std::chrono::milliseconds ack_wait);

  uint64_t incarnation() const { return incarnation_; }
  std::string refusal() const;
  // Results sent and not yet acknowledged (tests, logs, metrics).
  int64_t unacked_results() const;
  int64_t unacked_batches() const;
  bool connected() const;
  int64_t reconnects() const { return reconnects_.load(); }
  const SlotPool& pool() const { return *pool_; }
  int slots() const { return options_.slots; }

 private:
  struct SessionEnd {
    grpc::Status status;
    bool welcomed = false;
  };
  // One stream from Hello to its end.
  SessionEnd RunSession();
  void WriterLoop(grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>* stream);
  // Waits until the channel is connected, up to `limit` (or Stop()).
  void AwaitChannel(std::chrono::nanoseconds limit);
  void OnResults(const std::vector<Finished>& finished);
  void LogEnd(const StreamVerdict& verdict);

  const WorkerOptions options_;
  const uint64_t incarnation_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;

  // Held from asking the core for pool commands until the pool has run
  // them, so commands of two threads (a message read, a drain) reach the
  // pool in the order the core gave them. Taken before mu_.
  Mutex pool_order_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable Mutex mu_;
  WorkerSession core_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_over_ ABSL_GUARDED_BY(mu_) = true;  // tells the writer to stop
  bool writer_done_ ABSL_GUARDED_BY(mu_) = true;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;  // of the live stream
  std::string refusal_ ABSL_GUARDED_BY(mu_);
  int64_t quiet_failures_ = 0;   // failed attempts not logged (Run's thread only)
  std::atomic<int64_t> reconnects_{0};  // sessions welcomed after the first
  int64_t sessions_welcomed_ = 0;       // Run's thread only
  int64_t last_failure_log_ns_ = 0;

  // Last member: its runner threads call OnResults, so it must go first.
  std::unique_ptr<SlotPool> pool_;
  std::unique_ptr<Calibrator> calibrator_;  // after pool_: it goes first
};

}  // namespace tminus
