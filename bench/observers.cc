// Benchmark 8: does watching slow the scheduler? A job of C chunks of one
// decrement each (the heaviest load per second on the coordinator), run
// alternately with nobody watching and with a Prometheus-like scraper
// (GET /metrics every second) plus five dashboards polling as the page does
// (cluster and job lists every second, the job's details every 0.5 s and its
// timeline every 0.9 s). Prints chunks/s for both, medians, and the ratio.
// Target: watched >= 0.95 x unwatched.
//   observers [CHUNKS (default 1000000)] [REPEAT (default 3)]
#include <httplib.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

namespace {

using tminus::bench::NowSeconds;

// Polls `paths` (path, period in seconds) until told to stop; counts replies.
void Poll(int port, const std::vector<std::pair<std::string, double>>& paths,
          const std::atomic<bool>& stop, std::atomic<int64_t>* replies) {
  httplib::Client http("127.0.0.1", port);
  std::vector<double> next(paths.size(), 0);
  while (!stop.load()) {
    const double now = NowSeconds();
    for (size_t i = 0; i < paths.size(); ++i) {
      if (now < next[i]) continue;
      next[i] = now + paths[i].second;
      if (auto reply = http.Get(paths[i].first); reply && reply->status == 200) ++*replies;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int64_t chunks = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
  auto cluster = StartCluster("observers", 2, {}, /*dashboard=*/true);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  std::vector<double> quiet, watched;
  int64_t polls = 0;
  for (int i = 0; i < 2 * repeat; ++i) {
    const bool watch = i % 2 == 1;  // alternate, so a noisy moment hits both
    std::atomic<bool> stop{false};
    std::atomic<int64_t> replies{0};
    std::vector<std::thread> observers;
    // The job about to be submitted gets the next id: the dashboards ask for it.
    auto latest = client.List(1, "");
    const uint64_t next_id = latest.ok() && latest->jobs_size() > 0 ? latest->jobs(0).id() + 1 : 1;
    if (watch) {
      observers.emplace_back(Poll, cluster->http_port(),
                             std::vector<std::pair<std::string, double>>{{"/metrics", 1.0}},
                             std::cref(stop), &replies);
      const std::string job = absl::StrCat("/api/v1/jobs/", next_id);
      for (int d = 0; d < 5; ++d) {
        observers.emplace_back(
            Poll, cluster->http_port(),
            std::vector<std::pair<std::string, double>>{
                {"/api/v1/cluster", 1.0}, {"/api/v1/jobs?state=active&limit=1000", 1.0},
                {"/api/v1/jobs?limit=50", 1.0}, {job, 0.5}, {job + "/timeline", 0.9}},
            std::cref(stop), &replies);
      }
    }
    const JobRun run = RunJob(client, Spec(chunks, chunks, v1::EXECUTOR_THREADS));
    stop = true;
    for (std::thread& observer : observers) observer.join();
    const double rate = static_cast<double>(chunks) / (run.report.wall_ns() * 1e-9);
    (watch ? watched : quiet).push_back(rate);
    polls += replies.load();
    std::cout << absl::StrFormat("run %d %-9s: %d chunks in %.3f s: %.0f chunks/s%s\n", i + 1,
                                 watch ? "watched" : "unwatched", chunks,
                                 run.report.wall_ns() * 1e-9, rate,
                                 watch ? absl::StrCat(" (", replies.load(), " HTTP replies)") : "");
  }
  const double ratio = Median(watched) / Median(quiet);
  std::cout << absl::StrFormat(
      "observers: unwatched median %.0f chunks/s, watched median %.0f chunks/s, ratio %.3f "
      "(target >= 0.95); %d HTTP replies served while watched\n",
      Median(quiet), Median(watched), ratio, polls);
  cluster->Stop();
  return 0;
}
