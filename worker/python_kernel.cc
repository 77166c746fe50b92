// Python.h first: it sets feature macros the C library headers read.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "worker/python_kernel.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/text.h"

namespace tminus {
namespace {

constexpr size_t kMaxJobs = 64;  // functions kept, most recent jobs first
constexpr auto kWatchPeriod = std::chrono::milliseconds(10);

// str(obj) as UTF-8, or "" (the GIL held).
std::string Str(PyObject* obj) {
  PyObject* text = obj != nullptr ? PyObject_Str(obj) : nullptr;
  std::string out;
  if (text != nullptr) {
    Py_ssize_t size = 0;
    if (const char* utf8 = PyUnicode_AsUTF8AndSize(text, &size)) out.assign(utf8, static_cast<size_t>(size));
    Py_DECREF(text);
  }
  PyErr_Clear();
  return out;
}

PyObject* Attr(PyObject* obj, const char* name) {
  PyObject* value = obj != nullptr ? PyObject_GetAttrString(obj, name) : nullptr;
  if (value == nullptr) PyErr_Clear();
  return value;
}

// "busy.py, line 3" for the innermost frame of a traceback.
std::string WhereRaised(PyObject* traceback) {
  PyObject* tb = traceback;
  Py_XINCREF(tb);
  for (;;) {
    PyObject* next = Attr(tb, "tb_next");
    if (next == nullptr || next == Py_None) {
      Py_XDECREF(next);
      break;
    }
    Py_DECREF(tb);
    tb = next;
  }
  PyObject* line = Attr(tb, "tb_lineno");
  PyObject* frame = Attr(tb, "tb_frame");
  PyObject* code = Attr(frame, "f_code");
  PyObject* file = Attr(code, "co_filename");
  std::string where = file != nullptr && line != nullptr
                          ? absl::StrCat(Str(file), ", line ", Str(line))
                          : "";
  for (PyObject* obj : {tb, line, frame, code, file}) Py_XDECREF(obj);
  return where;
}

// The pending exception as "Type: message (file, line N)"; clears it.
std::string TakeException() {
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  std::string out = type != nullptr ? reinterpret_cast<PyTypeObject*>(type)->tp_name : "error";
  if (std::string text = Str(value); !text.empty()) absl::StrAppend(&out, ": ", text);
  // A SyntaxError names its place in its message already.
  const bool syntax = type != nullptr && PyErr_GivenExceptionMatches(type, PyExc_SyntaxError);
  if (std::string where = traceback != nullptr ? WhereRaised(traceback) : ""; !where.empty() && !syntax) {
    absl::StrAppend(&out, " (", where, ")");
  }
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  if (out.size() > kMaxPythonErrorBytes) out.resize(kMaxPythonErrorBytes);
  return Utf8Tail(out, kMaxPythonErrorBytes);
}

class Interpreter {
 public:
  // Never destroyed: finalizing at exit would race slot threads still in it.
  static Interpreter& Get() {
    static Interpreter* const interpreter = new Interpreter();
    return *interpreter;
  }

  PythonRun Run(uint64_t job, const KernelSpec& kernel, int64_t start, int64_t count,
                const std::atomic<bool>* stop) {
    PythonRun run;
    if (!start_error_.empty()) {
      run.error = absl::StrCat("python: the interpreter did not start: ", start_error_);
      return run;
    }
    const int64_t cpu_start = ThreadCpuNs();
    const PyGILState_STATE gil = PyGILState_Ensure();
    if (PyObject* function = FunctionOf(job, kernel, &run.error)) {
      Call(function, kernel, start, count, stop, &run);
    }
    PyGILState_Release(gil);
    run.cpu_ns = ThreadCpuNs() - cpu_start;
    return run;
  }

 private:
  struct Entry {
    uint64_t job = 0;
    PyObject* globals = nullptr;   // owned; keeps the function's module alive
    PyObject* function = nullptr;  // borrowed from globals
    std::string error;             // why there is none
  };
  // A call the watcher may interrupt.
  struct LiveCall {
    unsigned long thread = 0;
    const std::atomic<bool>* stop = nullptr;
    bool raised = false;
  };

  Interpreter() {
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;  // the worker owns its signals
    config.parse_argv = 0;
    const PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      start_error_ = status.err_msg != nullptr ? status.err_msg : "unknown error";
      return;
    }
    PyEval_SaveThread();  // this thread lets go of the GIL; calls take it
    std::thread([this] { Watch(); }).detach();
  }

  // The GIL held. Null with `error` set when the job has no such function.
  PyObject* FunctionOf(uint64_t job, const KernelSpec& kernel, std::string* error) {
    auto same = std::find_if(cache_.begin(), cache_.end(), [job](const Entry& e) { return e.job == job; });
    if (same == cache_.end()) {
      // Its module code runs once here; two slots starting the job at once
      // may both run it (it releases the GIL): keep it free of side effects.
      cache_.push_front(Load(job, kernel));
      if (cache_.size() > kMaxJobs) {
        Py_XDECREF(cache_.back().globals);
        cache_.pop_back();
      }
      same = cache_.begin();
    }
    if (same->function == nullptr) *error = same->error;
    return same->function;
  }

  static Entry Load(uint64_t job, const KernelSpec& kernel) {
    Entry entry;
    entry.job = job;
    const std::string file = kernel.file_name.empty() ? "<tminus job>" : kernel.file_name;
    PyObject* code = Py_CompileString(kernel.source.c_str(), file.c_str(), Py_file_input);
    if (code == nullptr) {
      entry.error = TakeException();
      return entry;
    }
    entry.globals = PyDict_New();
    PyDict_SetItemString(entry.globals, "__builtins__", PyEval_GetBuiltins());
    PyObject* name = PyUnicode_FromString("__tminus_job__");
    PyDict_SetItemString(entry.globals, "__name__", name);
    Py_DECREF(name);
    PyObject* ran = PyEval_EvalCode(code, entry.globals, entry.globals);
    Py_DECREF(code);
    if (ran == nullptr) {
      entry.error = TakeException();
      return entry;
    }
    Py_DECREF(ran);
    PyObject* function = PyDict_GetItemString(entry.globals, kernel.function.c_str());
    if (function == nullptr) {
      entry.error = absl::StrCat(file, " defines no '", kernel.function, "' at its top level");
    } else if (!PyCallable_Check(function)) {
      entry.error = absl::StrCat("'", kernel.function, "' in ", file, " is a ",
                                 Py_TYPE(function)->tp_name, ", not a function");
    } else {
      entry.function = function;
    }
    return entry;
  }

  // The GIL held.
  void Call(PyObject* function, const KernelSpec& kernel, int64_t start, int64_t count,
            const std::atomic<bool>* stop, PythonRun* run) {
    const unsigned long thread = PyThread_get_thread_ident();
    if (stop != nullptr) {
      MutexLock lock(&mu_);
      calls_.push_back(LiveCall{thread, stop, false});
    }
    PyObject* result = PyObject_CallFunction(function, "LL", static_cast<long long>(start),
                                             static_cast<long long>(count));
    if (stop != nullptr) {
      // Still holding the GIL since the call returned, so the watcher cannot
      // have raised in between; one raised too late to land is dropped.
      MutexLock lock(&mu_);
      calls_.erase(std::find_if(calls_.begin(), calls_.end(),
                                [thread](const LiveCall& c) { return c.thread == thread; }));
      PyThreadState_SetAsyncExc(thread, nullptr);
    }
    if (result == nullptr) {
      if (stop != nullptr && stop->load() && PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
        PyErr_Clear();
        run->outcome = PythonRun::Outcome::kCancelled;
      } else {
        run->error = TakeException();
      }
      return;
    }
    CheckCount(result, kernel.function, count, run);
    Py_DECREF(result);
  }

  static void CheckCount(PyObject* result, const std::string& function, int64_t count,
                         PythonRun* run) {
    if (!PyLong_Check(result)) {
      run->error = absl::StrCat(function, " returned a ", Py_TYPE(result)->tp_name,
                                ", not an int: it must return the units it did (", count, ")");
      return;
    }
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(result, &overflow);
    PyErr_Clear();
    if (overflow != 0 || value != count) {
      run->error = absl::StrCat(function, " returned ", Str(result), " for a chunk of ", count,
                                " units: the job would be inexact");
      return;
    }
    run->outcome = PythonRun::Outcome::kOk;
    run->done = count;
  }

  // Raises KeyboardInterrupt in each call whose stop flag turned true.
  void Watch() {
    for (;;) {
      std::this_thread::sleep_for(kWatchPeriod);
      if (!AnyToStop()) continue;  // the GIL is taken only when needed
      const PyGILState_STATE gil = PyGILState_Ensure();
      {
        MutexLock lock(&mu_);
        for (LiveCall& call : calls_) {
          if (call.raised || !call.stop->load()) continue;
          PyThreadState_SetAsyncExc(call.thread, PyExc_KeyboardInterrupt);
          call.raised = true;
        }
      }
      PyGILState_Release(gil);
    }
  }

  bool AnyToStop() {
    MutexLock lock(&mu_);
    return std::any_of(calls_.begin(), calls_.end(),
                       [](const LiveCall& c) { return !c.raised && c.stop->load(); });
  }

  std::string start_error_;
  std::deque<Entry> cache_;  // guarded by the GIL
  // Lock order: the GIL, then mu_.
  Mutex mu_;
  std::vector<LiveCall> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

PythonRun RunPythonChunk(uint64_t job, const KernelSpec& kernel, int64_t start, int64_t count,
                         const std::atomic<bool>* stop) {
  return Interpreter::Get().Run(job, kernel, start, count, stop);
}

}  // namespace tminus
