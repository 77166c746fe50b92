// Plain value types the scheduling core takes and returns. No gRPC here: the
// service layer converts them to and from tminus.v1 messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/calibration.h"
#include "common/host.h"
#include "common/job_spec.h"
#include "common/labels.h"
#include "common/topology.h"
#include "common/worker_identity.h"

namespace tminus {

using JobId = uint64_t;
using SessionId = uint64_t;  // one per worker stream, never reused

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
bool IsTerminal(JobState state);
const char* JobStateName(JobState state);

// kDrained: connected, but an admin drained it (`tminus drain`): no new
// leases until `tminus undrain`. kDraining: the worker itself is stopping.
enum class WorkerState { kConnected, kDraining, kDisconnected, kDrained };

// Limits of the fields of a Hello (docs/api.md).
inline constexpr size_t kMaxVersionBytes = 64;
inline constexpr int32_t kMaxWorkerSlots = 4096;

enum class ChunkOutcome { kOk, kFailed, kCancelled };

// A worker's Hello: who it is, and its calibration (none until measured).
struct WorkerHello : WorkerIdentity {
  Calibration calibration = {};  // none until the worker has measured
};

// Who a worker was, as a job saw it: what its per-worker totals, report and
// progress name it by (reports outlive worker records).
struct WorkerIdentityView {
  std::string worker_id;
  std::string host;
  int32_t slots = 0;
};

// One chunk leased to one worker session.
struct LeaseGrant {
  JobId job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  int64_t begin = 0;
  int64_t count = 0;
  ExecutorKind executor = ExecutorKind::kUnspecified;
  int32_t max_running = 0;  // the job's chunks running at once on this worker; 0: any
  KernelKind kernel = KernelKind::kCountdown;
};

// A job's kernel definition, for a session about to get its first lease.
struct KernelGrant {
  JobId job = 0;
  std::shared_ptr<const KernelSpec> kernel;
};

// What a worker reports for one lease.
struct ChunkReport {
  JobId job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  ChunkOutcome outcome = ChunkOutcome::kOk;
  int64_t decrements = 0;
  int64_t start_mono_ns = 0;  // worker's clock: only differences matter
  int64_t end_mono_ns = 0;
  int64_t start_wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;  // inside the countdown loop
  int32_t slot = 0;
  std::string error;
};

// Stop these chunks of a job (all of them when `chunks` is empty).
struct CancelOrder {
  JobId job = 0;
  std::vector<int64_t> chunks;
};

// Messages the core wants sent to one session, in order of kind.
struct Outbox {
  std::vector<KernelGrant> kernels;  // sent before `leases`
  std::vector<LeaseGrant> leases;
  std::vector<JobId> forget;         // ended jobs whose kernels it was sent
  std::vector<CancelOrder> cancels;
  bool drain = false;     // hand back queued leases (an admin drained the worker)
  bool close = false;     // end the stream with close_status
  absl::Status close_status;
  bool empty() const {
    return kernels.empty() && leases.empty() && forget.empty() && cancels.empty() && !drain &&
           !close;
  }
};

// Which jobs ListJobs returns: any of these states (empty: any), submitted
// at or after this wall time (0: any), and not a study's when hide_study_jobs.
struct JobFilter {
  std::vector<JobState> states;
  int64_t submitted_after_wall_ns = 0;
  bool hide_study_jobs = false;
};

struct SchedulerOptions {
  int32_t max_attempts = 3;           // per chunk, failures and lost leases counted
  int64_t heartbeat_interval_ns = 2'000'000'000;
  int64_t lease_timeout_ns = 10'000'000'000;  // silence that ends a session
  // How often the host calls ExpireSilentSessions. A gap between two calls
  // of more than twice this means the coordinator itself stalled (SIGSTOP, a
  // VM pause): workers then get a fresh lease timeout instead of the blame.
  int64_t housekeeping_interval_ns = 500'000'000;
  // A chunk running longer than this many times its expected duration gets
  // a backup attempt on an idle slot, once the job has nothing left to lease
  // (the expected duration: the job's median chunk, or before any chunk of
  // the job finished, the chunk's size at the cluster's recent rate).
  double straggler_factor = 3.0;
  int64_t straggler_min_ns = 500'000'000;  // never back up a chunk younger than this
  int64_t max_active_jobs = 10'000;  // queued or running; more is RESOURCE_EXHAUSTED
  // Records of workers disconnected for longer than this are dropped.
  int64_t forget_workers_after_ns = int64_t{3600} * 1'000'000'000;
  // Finished jobs kept (in memory and in the store): the newest this many,
  // and only those that ended within retain_for_ns. 0: no such limit.
  int64_t retain_jobs = 0;
  int64_t retain_for_ns = 0;
  // New jobs wait for SavedJobs() before their chunks are leased (a durable
  // store: nothing unsaved runs). Off for the in-memory store.
  bool hold_until_saved = false;
  // A session that sends more results than this for chunks it was not
  // leased (and that no fencing rule lets in late) is ended with
  // PERMISSION_DENIED. Results for chunks already done do not count.
  int64_t max_unleased_results = 1024;
};

}  // namespace tminus
