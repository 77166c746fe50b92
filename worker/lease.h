// Plain data that crosses between the worker's session core, its transport
// and its slot pool: what to run, and what running it came to. No protobuf:
// the slot pool knows nothing of the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/job_spec.h"

namespace tminus {

// One chunk to run, as leased by the coordinator.
struct LeaseSpec {
  uint64_t job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  int64_t count = 0;  // decrements to do
  ExecutorKind executor = ExecutorKind::kUnspecified;
  int32_t max_running = 0;  // of this job's chunks at once here; 0: no cap
  int64_t begin = 0;        // the chunk's first unit (a python or command kernel's start)
  std::shared_ptr<const KernelSpec> kernel = nullptr;  // null: the countdown
};

enum class RunOutcome { kOk, kFailed, kCancelled };

// CPU time costs a system call to read; below this many decrements a chunk
// is pure kernel time and its CPU time is taken to be its duration.
constexpr uint64_t kMeasureCpuFrom = uint64_t{1} << 20;

// The most bytes of a result's error the coordinator takes (docs/api.md).
constexpr size_t kMaxResultErrorBytes = 4096;

// What one lease came to.
struct RunResult {
  uint64_t job = 0;
  int64_t chunk = 0;
  int32_t attempt = 0;
  RunOutcome outcome = RunOutcome::kFailed;
  int64_t decrements = 0;
  int64_t start_mono_ns = 0;
  int64_t end_mono_ns = 0;
  int64_t start_wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;  // inside the countdown loop
  int32_t slot = 0;
  ExecutorKind executor = ExecutorKind::kUnspecified;
  std::string error;
};

// Stop these chunks of a job (every chunk of it when `chunks` is empty).
struct StopOrder {
  uint64_t job = 0;
  std::vector<int64_t> chunks;
};

// What the session core asks of the slot pool, in this order.
struct PoolCommands {
  std::vector<StopOrder> stop;
  std::vector<LeaseSpec> run;  // `epoch` tells their session apart
  uint64_t epoch = 0;
  // Hand back, unrun, every queued lease of a session before this epoch
  // (0: none). Their leases are released at the coordinator already.
  uint64_t drop_queued_before = 0;
  bool hand_back_queued = false;  // drain: every queued lease comes back CANCELLED
  bool stop_running = false;      // drain past its grace: stop what still runs

  bool empty() const {
    return stop.empty() && run.empty() && drop_queued_before == 0 && !hand_back_queued &&
           !stop_running;
  }
};

}  // namespace tminus
