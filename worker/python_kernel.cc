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
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/text.h"

namespace tminus {
namespace {

constexpr size_t kMaxJobs = 64;  // functions kept, most recent jobs first
constexpr auto kWatchPeriod = std::chrono::milliseconds(10);

// At most 128 bytes of a name or value for a message (valid UTF-8).
std::string Cut(const std::string& text) {
  return text.size() <= 128 ? text : Utf8Tail(text.substr(0, 125), 125) + "...";
}

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
    // Registered before the module code runs: a stop reaches that too.
    Register(stop);
    if (PyObject* function = FunctionOf(job, kernel, &run.error)) {
      Call(function, kernel, start, count, &run);
    }
    const bool stopped = Unregister(stop);
    if (stopped && run.outcome == PythonRun::Outcome::kFailed &&
        absl::StartsWith(run.error, "KeyboardInterrupt")) {
      run.outcome = PythonRun::Outcome::kCancelled;
      run.error.clear();
    }
    PyGILState_Release(gil);
    run.cpu_ns = ThreadCpuNs() - cpu_start;
    return run;
  }

 private:
  // A loaded job: its definition (a coordinator restarted without state
  // numbers jobs from 1 again: the id alone names no function) and what it
  // defined. Loads that failed are not kept: a retry loads again.
  struct Entry {
    uint64_t job = 0;
    std::string source, function_name, file_name;
    PyObject* globals = nullptr;   // owned
    PyObject* function = nullptr;  // owned: the module may rebind its name
    bool Defines(uint64_t id, const KernelSpec& k) const {
      return job == id && function_name == k.function && file_name == k.file_name &&
             source == k.source;
    }
  };
  // A call the watcher may interrupt.
  struct LiveCall {
    unsigned long thread = 0;
    const std::atomic<bool>* stop = nullptr;
    bool raised = false;
  };

  Interpreter() {
    // UTF-8 mode, and the process's locale and environment left alone: the
    // worker's other threads read them (setlocale and setenv are not safe
    // beside them).
    PyPreConfig preconfig;
    PyPreConfig_InitPythonConfig(&preconfig);
    preconfig.utf8_mode = 1;
    preconfig.coerce_c_locale = 0;
    preconfig.configure_locale = 0;
    PyStatus status = Py_PreInitialize(&preconfig);
    if (!PyStatus_Exception(status)) {
      PyConfig config;
      PyConfig_InitPythonConfig(&config);
      config.install_signal_handlers = 0;  // the worker owns its signals
      config.parse_argv = 0;
      status = Py_InitializeFromConfig(&config);
      PyConfig_Clear(&config);
    }
    if (PyStatus_Exception(status)) {
      start_error_ = status.err_msg != nullptr ? status.err_msg : "unknown error";
      return;
    }
    PyEval_SaveThread();  // this thread lets go of the GIL; calls take it
    std::thread([this] { Watch(); }).detach();
  }

  // The GIL held. Null with `error` set when the job has no such function.
  PyObject* FunctionOf(uint64_t job, const KernelSpec& kernel, std::string* error) {
    auto same = std::find_if(cache_.begin(), cache_.end(),
                             [&](const Entry& e) { return e.Defines(job, kernel); });
    if (same != cache_.end()) {
      std::rotate(cache_.begin(), same, same + 1);  // most recently used first
      return cache_.front().function;
    }
    // Its module code runs once here; two slots starting the job at once
    // may both run it (it releases the GIL): keep it free of side effects.
    Entry entry;
    if (!Load(job, kernel, &entry, error)) return nullptr;
    cache_.push_front(std::move(entry));
    if (cache_.size() > kMaxJobs) {
      Py_DECREF(cache_.back().function);
      Py_DECREF(cache_.back().globals);
      cache_.pop_back();
    }
    return cache_.front().function;
  }

  static bool Load(uint64_t job, const KernelSpec& kernel, Entry* entry, std::string* error) {
    const std::string file = kernel.file_name.empty() ? "<tminus job>" : kernel.file_name;
    PyObject* code = Py_CompileString(kernel.source.c_str(), file.c_str(), Py_file_input);
    if (code == nullptr) {
      *error = TakeException();
      return false;
    }
    PyObject* globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    PyObject* name = PyUnicode_FromString("__tminus_job__");
    PyDict_SetItemString(globals, "__name__", name);
    Py_DECREF(name);
    PyObject* ran = PyEval_EvalCode(code, globals, globals);
    Py_DECREF(code);
    PyObject* function = ran != nullptr ? PyDict_GetItemString(globals, kernel.function.c_str()) : nullptr;
    if (ran == nullptr) {
      *error = TakeException();
    } else if (function == nullptr) {
      *error = absl::StrCat(Cut(file), " defines no '", kernel.function, "' at its top level");
    } else if (!PyCallable_Check(function)) {
      *error = absl::StrCat("'", kernel.function, "' in ", Cut(file), " is a ",
                            Cut(Py_TYPE(function)->tp_name), ", not a function");
    }
    Py_XDECREF(ran);
    if (!error->empty()) {
      Py_DECREF(globals);
      return false;
    }
    Py_INCREF(function);
    *entry = Entry{job, kernel.source, kernel.function, kernel.file_name, globals, function};
    return true;
  }

  // The GIL held, from the watcher's registration of this thread's call
  // (Register) to its removal (Unregister): the watcher raises only while it
  // holds the GIL and the call is registered.
  void Register(const std::atomic<bool>* stop) {
    if (stop == nullptr) return;
    MutexLock lock(&mu_);
    calls_.push_back(LiveCall{PyThread_get_thread_ident(), stop, false});
  }

  // True when the call was stopped. One exception raised too late to land
  // is dropped, so it never reaches this thread's next call.
  bool Unregister(const std::atomic<bool>* stop) {
    if (stop == nullptr) return false;
    const unsigned long thread = PyThread_get_thread_ident();
    {
      MutexLock lock(&mu_);
      calls_.erase(std::find_if(calls_.begin(), calls_.end(),
                                [thread](const LiveCall& c) { return c.thread == thread; }));
    }
    PyThreadState_SetAsyncExc(thread, nullptr);
    return stop->load();
  }

  // The GIL held.
  void Call(PyObject* function, const KernelSpec& kernel, int64_t start, int64_t count,
            PythonRun* run) {
    PyObject* result = PyObject_CallFunction(function, "LL", static_cast<long long>(start),
                                             static_cast<long long>(count));
    if (result == nullptr) {
      run->error = TakeException();
      return;
    }
    CheckCount(result, kernel.function, count, run);
    Py_DECREF(result);
  }

  // An int, or anything with __index__ (a numpy integer), equal to count.
  static void CheckCount(PyObject* result, const std::string& function, int64_t count,
                         PythonRun* run) {
    PyObject* index = PyFloat_Check(result) ? nullptr : PyNumber_Index(result);
    if (index == nullptr) {
      PyErr_Clear();
      run->error = absl::StrCat(function, " returned a ", Cut(Py_TYPE(result)->tp_name),
                                ", not an int: it must return the units it did (", count, ")");
      return;
    }
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(index, &overflow);
    PyErr_Clear();
    if (overflow != 0 || value != count) {
      run->error = absl::StrCat(function, " returned ", Cut(Str(index)), " for a chunk of ",
                                count, " units: the job would be inexact");
    } else {
      run->outcome = PythonRun::Outcome::kOk;
      run->done = count;
    }
    Py_DECREF(index);
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

void StartPython() { (void)Interpreter::Get(); }

}  // namespace tminus
