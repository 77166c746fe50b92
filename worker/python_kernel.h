// The python kernel: a client's function f(start, count) -> count, called
// once per chunk in this process's one embedded CPython interpreter.
//
// Why threads do not scale: every call holds the interpreter's global lock
// (the GIL) while it runs Python, so the slot threads of one worker take
// turns, as Python threads do. The processes executor runs each slot's calls
// in its own child process, with its own interpreter and GIL: those run in
// parallel. That contrast is the point of `tminus scale --python`.
//
// Stopping: a watcher thread raises KeyboardInterrupt in a call whose stop
// flag turned true (PyThreadState_SetAsyncExc), which Python checks between
// bytecodes. A call blocked inside C code (time.sleep, an extension) stops
// when that returns; in a child process, the worker kills it after its grace.
//
// A job's source runs once per interpreter (its module-level code), the first
// time one of its chunks runs there; the function is kept for the next ones
// (the most recent kMaxJobs jobs).
//
// Threading: thread-safe; the interpreter starts on the first call.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/job_spec.h"

namespace tminus {

struct PythonRun {
  enum class Outcome { kOk, kFailed, kCancelled };
  Outcome outcome = Outcome::kFailed;
  int64_t done = 0;      // units done: `count` when OK, else 0
  int64_t cpu_ns = 0;    // this thread's CPU time in the call
  std::string error;     // why it failed: "ValueError: ... (busy.py, line 3)"
};

inline constexpr size_t kMaxPythonErrorBytes = 1024;

// Starts the interpreter now. A worker that allows python calls it before
// it starts any thread (starting it changes process-wide state).
void StartPython();

// Calls job `job`'s function with (start, count) in this thread. `stop` may
// be null.
PythonRun RunPythonChunk(uint64_t job, const KernelSpec& kernel, int64_t start, int64_t count,
                         const std::atomic<bool>* stop);

}  // namespace tminus
