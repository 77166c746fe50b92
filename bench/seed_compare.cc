// Benchmark 7: side by side with the seed. Python's multiprocessing Pool and
// threading (Debian's /usr/bin/python3, bench/seed_compare.py) next to the
// tminus threads and processes executors, on this machine in the same run:
// speedup from 1 to 2 workers, and tasks per second with tiny tasks.
//   seed_compare [SCRIPT (default: next to the sources)] [PY_N (6e7)] [TMINUS_N (4e9)] [TINY (1e5)]
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "cli/output.h"
#include "common/subprocess.h"

namespace {

// Lines of `key=value` pairs from the Python side, keyed by name/workers.
std::map<std::string, double> ReadPython(const std::string& path) {
  std::map<std::string, double> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::cout << "  python: " << line << "\n";
    std::map<std::string, std::string> fields;
    for (absl::string_view pair : absl::StrSplit(line, ' ')) {
      std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
      fields[kv.first] = kv.second;
    }
    const std::string key = fields["name"] + "/" + fields["workers"];
    if (fields.count("seconds")) values[key] = std::stod(fields["seconds"]);
    if (fields.count("tasks_per_second")) values[key] = std::stod(fields["tasks_per_second"]);
  }
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const std::string script = argc > 1 ? argv[1] : TMINUS_SOURCE_DIR "/bench/seed_compare.py";
  const std::string py_n = argc > 2 ? argv[2] : "60000000";
  const auto tminus_n = static_cast<int64_t>(argc > 3 ? std::atof(argv[3]) : 4e9);
  const std::string tiny = argc > 4 ? argv[4] : "100000";
  const std::string out = absl::StrCat("/tmp/tminus-seed-compare-", getpid(), ".txt");
  auto python = Subprocess::Start({"/usr/bin/python3", script, "--n", py_n, "--tiny", tiny}, out);
  if (!python.ok() || !python->Wait(std::chrono::minutes(10)).has_value()) {
    std::cerr << "bench: python side failed\n";
    return 1;
  }
  std::map<std::string, double> py = ReadPython(out);
  unlink(out.c_str());

  auto cluster = StartCluster("seed", 2);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  std::map<std::string, double> tm;
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    const std::string name = ExecutorLabel(executor);
    for (int slots : {1, 2}) {
      tm[name + "/" + std::to_string(slots)] =
          RunJob(client, Spec(tminus_n, 64, executor, slots)).report.wall_ns() * 1e-9;
    }
    const auto tiny_chunks = static_cast<int64_t>(std::atof(tiny.c_str()));
    tm[name + "-tiny"] =
        tiny_chunks / (RunJob(client, Spec(tiny_chunks, tiny_chunks, executor)).report.wall_ns() * 1e-9);
  }
  cluster->Stop();

  Table table({"SYSTEM", "1 WORKER", "2 WORKERS", "SPEEDUP", "TINY TASKS/s"});
  auto row = [&](const std::string& label, double one, double two, double tiny_rate) {
    table.AddRow({label, absl::StrFormat("%.3f s", one), absl::StrFormat("%.3f s", two),
                  absl::StrFormat("%.2f", one / two), absl::StrFormat("%.0f", tiny_rate)});
  };
  row("python multiprocessing.Pool", py["pool/1"], py["pool/2"], py["pool-tiny/"]);
  row("python threading", py["threading/1"], py["threading/2"], py["threading-tiny/"]);
  row("tminus threads", tm["threads/1"], tm["threads/2"], tm["threads-tiny"]);
  row("tminus processes", tm["processes/1"], tm["processes/2"], tm["processes-tiny"]);
  std::cout << absl::StrFormat("seed compare: python n=%s, tminus n=%d (a Python decrement costs "
                               "~100x a tminus one; compare speedups, not times), %s tiny tasks\n",
                               py_n, tminus_n, tiny);
  table.PrintAligned(std::cout);
  return 0;
}
