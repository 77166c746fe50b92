#include "worker/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/kernel.h"
#include "common/status_macros.h"
#include "worker/lease.h"

extern char** environ;

namespace tminus {
namespace {

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Returns false on EOF or error.
bool ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::atomic<bool> g_child_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void OnCancelSignal(int) { g_child_cancel.store(true, std::memory_order_relaxed); }

}  // namespace

absl::Status ChildProcess::Start() {
  int request[2];
  int reply[2];
  if (pipe2(request, O_CLOEXEC) != 0) return absl::InternalError("pipe: " + std::string(strerror(errno)));
  if (pipe2(reply, O_CLOEXEC) != 0) {
    close(request[0]);
    close(request[1]);
    return absl::InternalError("pipe: " + std::string(strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, request[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, reply[1], STDOUT_FILENO);
  const std::string parent = absl::StrCat(getpid());
  char* argv[] = {const_cast<char*>(binary_.c_str()), const_cast<char*>("--child"),
                  const_cast<char*>(parent.c_str()), nullptr};
  const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(request[0]);
  close(reply[1]);
  if (rc != 0) {
    close(request[1]);
    close(reply[0]);
    pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot start child ", binary_, ": ", strerror(rc)));
  }
  to_child_ = request[1];
  from_child_ = reply[0];
  child_ready_ = false;
  if (counters_ != nullptr) ++counters_->started;
  return absl::OkStatus();
}

absl::Status ChildProcess::Send(const ChildRequest& request,
                                const std::vector<std::pair<const void*, size_t>>& parts) {
  if (!running()) {
    RETURN_IF_ERROR(Start());
  }
  bool ok = WriteAll(to_child_, &request, sizeof(request));
  for (const auto& [data, size] : parts) ok = ok && WriteAll(to_child_, data, size);
  return ok ? absl::OkStatus() : DiedError();
}

absl::StatusOr<bool> ChildProcess::AwaitReply(const std::atomic<bool>& cancel,
                                              std::chrono::milliseconds grace) {
  int64_t signalled_at = 0;
  for (;;) {
    pollfd fd{from_child_, POLLIN, 0};
    const int ready = poll(&fd, 1, 20);
    if (ready > 0 && !child_ready_) {
      char byte = 0;
      if (!ReadAll(from_child_, &byte, 1) || byte != kChildReady) return DiedError();
      child_ready_ = true;
      continue;
    }
    if (ready > 0) return true;
    // Not before the child's handler is in place: SIGUSR1 would kill it.
    if (!cancel.load(std::memory_order_relaxed) || !child_ready_) continue;
    const int64_t now = RealClock::Get()->MonoNs();
    if (signalled_at == 0) {
      kill(pid_, SIGUSR1);  // ask first
      signalled_at = now;
    } else if (now - signalled_at > std::chrono::nanoseconds(grace).count()) {
      Stop();  // then insist
      if (counters_ != nullptr) ++counters_->lost;
      return false;
    }
  }
}

absl::StatusOr<std::vector<ChildRun>> ChildProcess::RunBatch(const std::vector<uint64_t>& counts,
                                                             const std::atomic<bool>& cancel,
                                                             std::chrono::milliseconds grace) {
  if (counts.empty() || counts.size() > kMaxChildBatch) {
    return absl::InvalidArgumentError(absl::StrCat("a child batch holds 1 to ", kMaxChildBatch,
                                                   " chunks, got ", counts.size()));
  }
  const ChildRequest request{kChildProtocol, static_cast<uint32_t>(counts.size()), kChildCountdown, 0};
  RETURN_IF_ERROR(Send(request, {{counts.data(), counts.size() * sizeof(uint64_t)}}));
  std::vector<ChildRun> runs(counts.size());
  absl::StatusOr<bool> replied = AwaitReply(cancel, grace);
  if (!replied.ok()) return replied.status();
  if (!*replied) {
    for (ChildRun& run : runs) run.killed = true;
    return runs;
  }
  std::vector<ChildReply> replies(counts.size());
  if (!ReadAll(from_child_, replies.data(), replies.size() * sizeof(ChildReply))) {
    return DiedError();
  }
  for (size_t i = 0; i < replies.size(); ++i) {
    runs[i] = ChildRun{replies[i].done, replies[i].cpu_ns, replies[i].kernel_ns,
                       replies[i].start_mono_ns, replies[i].end_mono_ns, false};
  }
  return runs;
}

absl::StatusOr<ChildProcess::PythonChunk> ChildProcess::RunPython(
    uint64_t job, const KernelSpec& kernel, int64_t start, int64_t count,
    const std::atomic<bool>& cancel, std::chrono::milliseconds grace) {
  const ChildRequest request{kChildProtocol, 1, kChildPython, 0};
  const ChildPythonRequest header{job, start, count,
                                  static_cast<uint32_t>(kernel.source.size()),
                                  static_cast<uint32_t>(kernel.function.size()),
                                  static_cast<uint32_t>(kernel.file_name.size()), 0};
  RETURN_IF_ERROR(Send(request, {{&header, sizeof(header)},
                                 {kernel.source.data(), kernel.source.size()},
                                 {kernel.function.data(), kernel.function.size()},
                                 {kernel.file_name.data(), kernel.file_name.size()}}));
  PythonChunk chunk;
  absl::StatusOr<bool> replied = AwaitReply(cancel, grace);
  if (!replied.ok()) return replied.status();
  if (!*replied) {
    chunk.run.killed = true;
    chunk.python.outcome = PythonRun::Outcome::kCancelled;
    return chunk;
  }
  ChildPythonReply reply{};
  if (!ReadAll(from_child_, &reply, sizeof(reply)) || reply.error_bytes > kMaxPythonErrorBytes) {
    return DiedError();
  }
  chunk.python.error.resize(reply.error_bytes);
  if (!ReadAll(from_child_, chunk.python.error.data(), reply.error_bytes)) return DiedError();
  chunk.run = ChildRun{reply.run.done, reply.run.cpu_ns, reply.run.kernel_ns,
                       reply.run.start_mono_ns, reply.run.end_mono_ns, false};
  chunk.python.outcome = static_cast<PythonRun::Outcome>(reply.outcome);
  chunk.python.done = static_cast<int64_t>(reply.run.done);
  chunk.python.cpu_ns = reply.run.cpu_ns;
  return chunk;
}

absl::Status ChildProcess::DiedError() {
  if (counters_ != nullptr) ++counters_->lost;
  const pid_t pid = pid_;
  int status = 0;
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
  to_child_ = from_child_ = -1;
  waitpid(pid, &status, 0);
  pid_ = -1;
  if (WIFSIGNALED(status)) {
    return absl::InternalError(absl::StrCat("child process ", pid, " killed by signal ",
                                            WTERMSIG(status)));
  }
  return absl::InternalError(absl::StrCat("child process ", pid, " exited with status ",
                                          WEXITSTATUS(status)));
}

void ChildProcess::Stop() {
  if (pid_ <= 0) return;
  close(to_child_);  // the child sees EOF and exits
  close(from_child_);
  to_child_ = from_child_ = -1;
  kill(pid_, SIGKILL);  // in case it is in the middle of a chunk
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

namespace {

// One python request, after its ChildRequest; false when the pipe broke.
bool ServePython() {
  ChildPythonRequest header{};
  if (!ReadAll(STDIN_FILENO, &header, sizeof(header))) return false;
  if (header.source_bytes > kMaxPythonSourceBytes || header.function_bytes > kMaxPythonFunctionBytes ||
      header.file_bytes > kMaxPythonFileNameBytes) {
    return false;
  }
  KernelSpec kernel;
  kernel.kind = KernelKind::kPython;
  for (auto [text, size] : {std::pair{&kernel.source, header.source_bytes},
                            std::pair{&kernel.function, header.function_bytes},
                            std::pair{&kernel.file_name, header.file_bytes}}) {
    text->resize(size);
    if (!ReadAll(STDIN_FILENO, text->data(), size)) return false;
  }
  const int64_t start = RealClock::Get()->MonoNs();
  const PythonRun run = RunPythonChunk(header.job, kernel, header.start, header.count, &g_child_cancel);
  const int64_t end = RealClock::Get()->MonoNs();
  const ChildPythonReply reply{
      ChildReply{static_cast<uint64_t>(run.done), run.cpu_ns, end - start, start, end},
      static_cast<int32_t>(run.outcome), static_cast<uint32_t>(run.error.size())};
  g_child_cancel.store(false, std::memory_order_relaxed);
  return WriteAll(STDOUT_FILENO, &reply, sizeof(reply)) &&
         WriteAll(STDOUT_FILENO, run.error.data(), run.error.size());
}

}  // namespace

int ChildMain(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the worker
  if (getppid() != parent) return 1;   // the worker died before prctl
  struct sigaction action {};
  action.sa_handler = OnCancelSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, nullptr);
  signal(SIGTERM, SIG_IGN);  // the worker decides when its children stop
  signal(SIGINT, SIG_IGN);
  // The parent signals a cancel only after this: before it, SIGUSR1 kills.
  if (!WriteAll(STDOUT_FILENO, &kChildReady, 1)) return 1;
  ChildRequest request{};
  std::vector<uint64_t> counts;
  std::vector<ChildReply> replies;
  while (ReadAll(STDIN_FILENO, &request, sizeof(request))) {
    if (request.magic != kChildProtocol || request.chunks == 0 ||
        request.chunks > kMaxChildBatch) {
      return 1;  // not a request of this version: the parent sees the child die
    }
    if (request.kind == kChildPython) {
      if (!ServePython()) return 1;
      continue;
    }
    if (request.kind != kChildCountdown) return 1;
    counts.resize(request.chunks);
    if (!ReadAll(STDIN_FILENO, counts.data(), counts.size() * sizeof(uint64_t))) return 1;
    // Once set, the cancel flag stops the chunk running and the rest of
    // this batch.
    replies.clear();
    const int64_t batch_cpu_start = ThreadCpuNs();
    const int64_t batch_wall_start = RealClock::Get()->MonoNs();
    for (const uint64_t count : counts) {
      // As for threads, the kernel's time spans the CPU clock's reads.
      const bool measure = count >= kMeasureCpuFrom;
      const int64_t kernel_start = RealClock::Get()->MonoNs();
      const int64_t cpu_start = measure ? ThreadCpuNs() : 0;
      const uint64_t done = Countdown(count, &g_child_cancel);
      const int64_t cpu_end = measure ? ThreadCpuNs() : 0;
      const int64_t kernel_end = RealClock::Get()->MonoNs();
      const int64_t kernel_ns = kernel_end - kernel_start;
      replies.push_back(ChildReply{done, measure ? cpu_end - cpu_start : -1, kernel_ns,
                                   kernel_start, kernel_end});
    }
    // Chunks too short for reads of their own get the batch's CPU share.
    const int64_t batch_wall = RealClock::Get()->MonoNs() - batch_wall_start;
    const double share = batch_wall > 0 ? std::clamp(static_cast<double>(ThreadCpuNs() - batch_cpu_start) /
                                                         static_cast<double>(batch_wall), 0.0, 1.0)
                                        : 1.0;
    for (ChildReply& reply : replies) {
      if (reply.cpu_ns < 0) reply.cpu_ns = static_cast<int64_t>(static_cast<double>(reply.kernel_ns) * share);
    }
    // Cleared before the reply, not when the next request is read: the
    // parent may signal a cancel as soon as it has written that request.
    g_child_cancel.store(false, std::memory_order_relaxed);
    if (!WriteAll(STDOUT_FILENO, replies.data(), replies.size() * sizeof(ChildReply))) return 1;
  }
  return 0;
}

}  // namespace tminus
