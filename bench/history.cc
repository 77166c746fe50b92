// Benchmark 12: job history (issue 12). J finished jobs (default 10,000) are
// made with the scheduling core and saved to a SQLite state store as the
// coordinator saves them; then the real tminus-coordinator starts on that
// store, R times, side by side with starts on an empty store. Prints the
// store's size per job and the extra start-up (recovery) time the history
// costs, medians of R. Every job listed after the restart must be exact.
//   history [JOBS (default 10000)] [REPEAT (default 3)]
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"
#include "bench/sim_jobs.h"
#include "cli/local_cluster.h"
#include "common/clock.h"
#include "common/logging.h"
#include "coordinator/store/store.h"

namespace {

using namespace tminus;

int64_t FileBytes(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : 0;
}

// Saves J finished jobs into `dir`'s store, in commits of 1,000 jobs.
void MakeHistory(const std::string& dir, int64_t jobs) {
  SchedulerOptions options;
  options.max_active_jobs = jobs + 1;
  Scheduler scheduler(RealClock::Get(), options);
  bench::RunFinishedJobs(scheduler, jobs);
  std::vector<JobSnapshot> snapshots = scheduler.TakeDirtySnapshots();
  auto store = OpenSqliteStore(dir);
  if (!store.ok()) bench::Die(store.status().ToString());
  for (size_t i = 0; i < snapshots.size(); i += 1000) {
    StoreBatch batch;
    batch.next_job_id = scheduler.next_job_id();
    for (size_t j = i; j < std::min(snapshots.size(), i + 1000); ++j) {
      batch.jobs.push_back(snapshots[j]);
    }
    if (absl::Status saved = (*store)->Save(batch); !saved.ok()) bench::Die(saved.ToString());
  }
}

// Starts a coordinator on `work`/state; returns the seconds until it served
// (its port file written: the store loaded and every job restored).
double TimedStart(const std::string& work, int64_t expect_jobs) {
  LocalClusterOptions options;
  options.bin_dir = LocalCluster::SelfDir();
  options.work_dir = work;
  const auto start = std::chrono::steady_clock::now();
  auto cluster = LocalCluster::Start(options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!cluster.ok()) bench::Die(cluster.status().ToString());
  JobClient client((*cluster)->address());
  int64_t exact = 0;
  std::string token;
  do {
    auto page = client.List(1000, token);
    if (!page.ok()) bench::Die(page.status().ToString());
    for (const v1::Job& job : page->jobs()) {
      exact += job.state() == v1::JOB_STATE_SUCCEEDED && job.decrements_done() == job.spec().n();
    }
    token = page->next_page_token();
  } while (!token.empty());
  if (exact != expect_jobs) {
    bench::Die(absl::StrCat("after the restart ", exact, " exact jobs, not ", expect_jobs));
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const auto jobs = static_cast<int64_t>(argc > 1 ? std::atof(argv[1]) : 1e4);
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string full = absl::StrCat("/tmp/tminus-bench-history-", getpid());
  const std::string empty = full + "-empty";
  SetLogLevel("warn");  // not a line per job
  std::filesystem::create_directories(full);
  MakeHistory(full + "/state", jobs);
  std::vector<double> with_history, without;
  for (int r = 0; r < repeat; ++r) {  // alternately, so both see the same machine
    with_history.push_back(TimedStart(full, jobs));
    std::filesystem::remove_all(empty);
    without.push_back(TimedStart(empty, 0));
  }
  // The size after the coordinators' checkpoints: the database and its WAL.
  const int64_t bytes =
      FileBytes(full + "/state/tminus.db") + FileBytes(full + "/state/tminus.db-wal");
  const double full_s = bench::Median(with_history);
  const double empty_s = bench::Median(without);
  std::cout << absl::StrFormat(
      "history: %d finished jobs (4 chunks each); store %.2f MB (%.0f bytes/job); coordinator "
      "start to serving: %.0f ms with them vs %.0f ms empty (medians of %d), recovery +%.0f ms "
      "(%.1f us/job); all %d exact after each restart\n",
      jobs, bytes / 1e6, static_cast<double>(bytes) / static_cast<double>(jobs), full_s * 1e3,
      empty_s * 1e3, repeat, (full_s - empty_s) * 1e3,
      (full_s - empty_s) * 1e6 / static_cast<double>(jobs), jobs);
  std::filesystem::remove_all(full);
  std::filesystem::remove_all(empty);
  return 0;
}
