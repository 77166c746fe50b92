// A long-lived child process that runs chunks for one slot of the
// `processes` executor. The child is this same binary started with
// `--child`; requests and replies go over two pipes.
//
// Cancelling: the parent sends SIGUSR1 (the child's kernel polls a flag the
// handler sets) and, if no reply comes within the grace period, SIGKILL.
//
// Threading: thread-compatible; each slot's runner thread owns one.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_spec.h"
#include "worker/python_kernel.h"

namespace tminus {

// The wire format of the pipes (same binary on both ends): the child first
// writes kChildReady; then each request is a header and `chunks` counts, and
// its reply, one ChildReply per chunk, comes in one write once the whole
// batch has run.
struct ChildRequest {
  uint32_t magic;  // kChildProtocol: a child of another version exits at once
  uint32_t chunks;
  uint32_t kind;   // kChildCountdown or kChildPython
  uint32_t reserved;
};
constexpr uint32_t kChildProtocol = 0x74620003;  // "tb", version 3: kernels
constexpr uint32_t kChildCountdown = 0;
// One python chunk: a ChildPythonRequest, then its source, function and file
// name; the reply is a ChildPythonReply, then its error text.
constexpr uint32_t kChildPython = 1;
struct ChildPythonRequest {
  uint64_t job;
  int64_t start;
  int64_t count;
  uint32_t source_bytes;
  uint32_t function_bytes;
  uint32_t file_bytes;
  uint32_t reserved;
};
// The child's first byte on its stdout: its cancel handler is installed.
constexpr char kChildReady = 'R';
constexpr uint32_t kMaxChildBatch = 1024;
struct ChildReply {
  uint64_t done;
  int64_t cpu_ns;
  int64_t kernel_ns;      // monotonic time inside the countdown loop
  int64_t start_mono_ns;  // the machine's monotonic clock, as the parent's
  int64_t end_mono_ns;
};

struct ChildPythonReply {
  ChildReply run;
  int32_t outcome;  // PythonRun::Outcome
  uint32_t error_bytes;
};

struct ChildRun {
  uint64_t done = 0;
  int64_t cpu_ns = 0;
  int64_t kernel_ns = 0;
  int64_t start_mono_ns = 0;  // 0: did not run
  int64_t end_mono_ns = 0;
  bool killed = false;  // did not stop in the grace period
};

// Counts of child processes started and lost (died or killed), shared by a
// pool's children; read by the metrics.
struct ChildCounters {
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> lost{0};
};

class ChildProcess {
 public:
  explicit ChildProcess(std::string binary, ChildCounters* counters = nullptr)
      : binary_(std::move(binary)), counters_(counters) {}
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // INTERNAL when the child cannot be started.
  absl::Status Start();
  // Runs one chunk of each count (at most kMaxChildBatch) in the child, in
  // order, starting it first if needed. `cancel` stops the chunk running
  // and the rest of the batch. INTERNAL when the child dies; the next call
  // starts a new one.
  absl::StatusOr<std::vector<ChildRun>> RunBatch(const std::vector<uint64_t>& counts,
                                                 const std::atomic<bool>& cancel,
                                                 std::chrono::milliseconds grace);
  // Runs one python chunk in the child's interpreter (see python_kernel.h).
  // `cancel` raises KeyboardInterrupt in it; past `grace`, the child is
  // killed (run.killed).
  struct PythonChunk {
    ChildRun run;
    PythonRun python;
  };
  absl::StatusOr<PythonChunk> RunPython(uint64_t job, const KernelSpec& kernel, int64_t start,
                                        int64_t count, const std::atomic<bool>& cancel,
                                        std::chrono::milliseconds grace);
  // Closes the pipes and reaps the child (SIGKILL if it does not exit).
  void Stop();

 private:
  absl::Status DiedError();
  // Starts the child if needed and writes one request.
  absl::Status Send(const ChildRequest& request, const std::vector<std::pair<const void*, size_t>>& parts);
  // Waits for the reply to be readable (true) or, once `cancel` is set,
  // signals the child and kills it past `grace` (false).
  absl::StatusOr<bool> AwaitReply(const std::atomic<bool>& cancel, std::chrono::milliseconds grace);

  std::string binary_;
  ChildCounters* counters_;
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  bool child_ready_ = false;  // its kChildReady byte has been read
};

// The child's main loop: reads requests on stdin, replies on stdout.
int ChildMain(pid_t parent);

}  // namespace tminus
