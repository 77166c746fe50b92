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

namespace tminus {

// The wire format of the pipes (same binary on both ends): the child first
// writes kChildReady; then each request is a header and `chunks` counts, and
// its reply, one ChildReply per chunk, comes in one write once the whole
// batch has run.
struct ChildRequest {
  uint32_t magic;  // kChildProtocol: a child of another version exits at once
  uint32_t chunks;
};
constexpr uint32_t kChildProtocol = 0x74620002;  // "tb", version 2: batches
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
  // Closes the pipes and reaps the child (SIGKILL if it does not exit).
  void Stop();

 private:
  absl::Status DiedError();

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
