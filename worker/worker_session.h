// The worker's side of a WorkerService.Session as a plain state machine:
// coordinator messages and slot results go in; messages to write and
// commands for the slot pool come out. No threads, no gRPC, no clock: the
// transport (SessionClient) passes the time and does the stream I/O.
//
// What it owns:
//  - the session's life: Hello first, Welcome, then credits, results,
//    Draining and heartbeats; how a stream's end is taken (reconnect at once,
//    back off, or stop: the coordinator refused this worker);
//  - credits: `outstanding` leases (any session) plus `granted` unused credits
//    stay at the credit policy's desire, and no credit is granted while the
//    unacknowledged results reach their bound;
//  - results: finished ones wait in a batch, and the credits they free ride
//    with them. While the leases queued here still cover more than half the
//    prefetch, the coordinator needs no credit back yet: the batch waits up
//    to kMaxResultDelayNs. Once they cover half or less (or the chunks are so
//    short that a few hundred microseconds gather a full enough batch
//    anyway), it goes when its oldest has waited ResultDelayNs (200 us, or
//    1% of the mean chunk if longer, at most 10 ms). It goes at once when it holds kMaxResultBatch
//    results, when no lease is left running or queued here, or when a job's
//    last lease here ended (its end may be waiting on it): one write (and
//    one wake-up on each side) carries many chunks, and an idle worker never
//    sits on a result. A batch is
//    staged (numbered and kept until acknowledged) at the moment the
//    transport takes it to write, so a failed write or an early Ack is a
//    plain state change;
//  - drain: hand back queued leases, give running ones a grace, wait for the
//    last Ack;
//  - what the worker says of itself: its calibration of the bare kernel
//    (with the Hello, or alone once measured) and the chunks of each job on
//    its slots (Running, when that changes, at most every kRunningReportNs),
//    and its CPU time and memory (as often as the Welcome asks, if it does).
//
// Invariants: every lease ends in exactly one result from the pool; results
// of an ended session are offered again only if OK (the coordinator has
// released those leases); a staged batch leaves `unacked` only by an Ack.
//
// Threading: thread-compatible; the transport guards it with one mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/calibration.h"
#include "common/labels.h"
#include "common/process_usage.h"
#include "common/topology.h"
#include "common/worker_identity.h"
#include "tminus/v1/worker.pb.h"
#include "worker/credit_policy.h"
#include "worker/lease.h"

namespace tminus {

struct WorkerSessionOptions {
  WorkerIdentity identity;
  int prefetch = -1;  // credits beyond slots; -1: adaptive (CreditPolicy)
  // Results sent and not yet acknowledged beyond which no credit is granted
  // (a coordinator that cannot commit must not make the worker grow).
  int64_t max_unacked_results = 262'144;
  int64_t min_backoff_ns = 100'000'000;
  int64_t max_backoff_ns = 1'000'000'000;
  int64_t heartbeat_ns = 2'000'000'000;  // until a Welcome says otherwise
  // Reads the worker's usage for the report sent as often as the Welcome
  // asks (never when it does not); unset: no reports (the session itself
  // reads no /proc).
  std::function<ProcessUsage()> read_usage;
};

// How the end of a stream is taken.
struct StreamVerdict {
  bool stop = false;  // the coordinator refused this worker: exit non-zero
  int64_t reconnect_after_ns = 0;
  bool warn = false;  // worth a warning (else info)
  std::string message;
  PoolCommands pool;  // hand back the ended session's queued leases
};

class WorkerSession {
 public:
  static constexpr int kMaxResultBatch = 512;
  static constexpr int64_t kMinResultDelayNs = 200'000;
  static constexpr int64_t kMaxResultDelayNs = 10'000'000;
  static constexpr double kFullEnoughBatch = 32;
  static constexpr int64_t kRunningReportNs = 50'000'000;
  static constexpr int64_t kMinUsageReportNs = 100'000'000;
  // (job, chunks on a slot now), jobs in any order.
  using RunningByJob = std::vector<std::pair<uint64_t, int32_t>>;

  explicit WorkerSession(WorkerSessionOptions options);

  // ---- the transport ----
  // A new stream is open; returns its epoch. Hello goes out first.
  uint64_t OnStreamStarted(int64_t now_ns);
  // True when TakeOutgoing has something to write now.
  bool HasOutgoing(int64_t now_ns) const;
  // The next message to write, or null. Results are staged when taken.
  std::shared_ptr<const v1::WorkerMessage> TakeOutgoing(int64_t now_ns);
  // When HasOutgoing or OnTick may turn true by time alone.
  int64_t NextDeadlineNs() const;
  PoolCommands OnMessage(const v1::CoordinatorMessage& message, int64_t now_ns);
  StreamVerdict OnStreamEnded(const absl::Status& status, int64_t now_ns);

  // ---- the slot pool ----
  void OnSlotResult(uint64_t epoch, const RunResult& result, int64_t now_ns);

  // ---- what the worker measures of itself ----
  // A new calibration, measured `now_ns`: it goes with the next Hello, or
  // alone on a live stream.
  void OnCalibration(const Calibration& calibration, int64_t now_ns);
  // The pool's chunks on a slot now; sent when it differs from what this
  // stream last heard.
  void OnRunning(RunningByJob running, int64_t now_ns);

  // ---- the planned stop ----
  // Sends Draining, takes no new leases, hands back queued ones; running ones
  // get `grace_ns`, then are stopped; then up to `ack_wait_ns` for the Acks.
  PoolCommands StartDrain(int64_t now_ns, int64_t grace_ns, int64_t ack_wait_ns);
  PoolCommands OnTick(int64_t now_ns);
  bool DrainFinished(int64_t now_ns) const;

  // ---- state, for the transport's logs, health and tests ----
  bool live() const { return stream_open_ && welcomed_; }
  bool draining() const { return draining_; }
  uint64_t epoch() const { return epoch_; }
  int64_t outstanding() const { return outstanding_; }
  int64_t granted() const { return granted_; }
  int64_t pending_results() const { return pending_.results_size(); }
  int64_t unacked_results() const { return unacked_results_; }
  size_t unacked_batches() const { return unacked_.size(); }
  const WorkerIdentity& identity() const { return options_.identity; }
  // True once after many unacknowledged results were acknowledged: the
  // transport may hand the memory back to the system.
  bool TakeMemoryReleaseDue();

 private:
  enum class Next {
    kNone, kHello, kDraining, kResend, kResults, kCredit, kCalibration, kRunning, kUsage,
    kHeartbeat
  };
  Next NextMessage(int64_t now_ns) const;
  int64_t GrantDue() const;
  bool ResultsDue(int64_t now_ns) const;
  // Half of the prefetch or less is queued here: the credits must go back.
  bool CreditsLow() const;
  // Chunks so short that ResultDelayNs gathers kFullEnoughBatch results on
  // the slots: holding longer only makes bursts.
  bool BatchesFillAnyway() const;
  // How long the oldest pending result may wait, as things are now.
  int64_t HoldNs() const;
  bool UsageDue(int64_t now_ns) const;
  int64_t ResultDelayNs() const;
  std::shared_ptr<v1::WorkerMessage> StageResults();
  std::shared_ptr<v1::WorkerMessage> SpareMessage();
  void OnAck(uint64_t up_to_seq);
  PoolCommands OnAssign(const v1::Assign& assign, int64_t now_ns);
  int64_t Backoff(absl::StatusCode code);
  void DropUnfinishedPending();
  // A lease answered here, unrun: handed back (CANCELLED) or FAILED with `error`.
  void AnswerAtOnce(const LeaseSpec& lease, RunOutcome outcome, std::string error, int64_t now_ns);
  // The lease's kernel definition, or why it cannot run here.
  absl::Status AttachKernel(const v1::Lease& lease, LeaseSpec* spec) const;

  const WorkerSessionOptions options_;
  CreditPolicy credits_;
  std::mt19937_64 jitter_;

  uint64_t epoch_ = 0;
  bool stream_open_ = false;
  bool hello_sent_ = false;
  bool welcomed_ = false;
  int64_t heartbeat_ns_;
  int64_t last_write_ns_ = 0;
  int failures_in_a_row_ = 0;  // streams that ended before a Welcome

  int64_t outstanding_ = 0;
  absl::flat_hash_map<uint64_t, int64_t> outstanding_by_job_;  // jobs with a lease here
  int64_t granted_ = 0;

  v1::Results pending_;  // finished, not yet staged
  int64_t pending_since_ns_ = 0;  // when the oldest of pending_ came in
  bool job_ended_here_ = false;   // a job's last lease here ended since the last batch
  std::deque<std::shared_ptr<v1::WorkerMessage>> unacked_;  // staged, oldest first
  int64_t unacked_results_ = 0;
  int64_t unacked_peak_ = 0;
  bool memory_release_due_ = false;
  size_t resend_next_ = 0;  // unacked_[resend_next_, resend_end_) go out again
  size_t resend_end_ = 0;
  uint64_t next_seq_ = 1;
  std::vector<std::shared_ptr<v1::WorkerMessage>> spare_;  // acked, cleared, reusable

  bool draining_ = false;
  bool draining_sent_ = false;  // on this stream
  bool stop_running_sent_ = false;
  int64_t drain_deadline_ns_ = 0;
  int64_t ack_wait_ns_ = 0;
  int64_t idle_since_ns_ = 0;  // while draining: when the last lease ended

  // The kernel definitions this stream's coordinator sent, by job.
  absl::flat_hash_map<uint64_t, std::shared_ptr<const KernelSpec>> kernels_;

  Calibration calibration_;
  int64_t calibrated_at_ns_ = 0;
  bool calibration_sent_ = false;  // on this stream (or in its Hello)
  RunningByJob running_;
  RunningByJob running_sent_;  // what this stream last heard
  int64_t running_sent_ns_ = 0;
  int64_t usage_sent_ns_ = 0;  // this stream's last usage report; 0: none yet
  int64_t usage_report_ns_ = 0;  // what this stream's Welcome asked; 0: no reports
};

}  // namespace tminus
