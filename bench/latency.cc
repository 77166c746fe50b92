// Benchmark 3: latency. J sequential one-chunk jobs (1 decrement each)
// submitted through the client library (no process start-up): submit to
// result, as the client sees it (Submit, then Watch until the job is done).
// Target p50 <= 200 us.
//
// Where the time goes, per job, from the wall clock (client, coordinator and
// worker share this machine's clock): the request reaching the coordinator;
// queued until dispatched; the lease's trip to the worker and the result's
// trip back (dispatch to the accepted result, less the chunk's own run); the
// run; and the watch stream's end reaching the client. The medians of the
// parts need not add up to the median of the whole.
//   latency [JOBS (default 1000)]
#include <time.h>

#include <iostream>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

namespace {

double WallSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Seconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + static_cast<double>(t.nanos()) * 1e-9;
}

struct Parts {
  std::vector<double> total, to_coordinator, queued, hops, run, watch_end;
};

// One job, its parts in microseconds.
void TimeOneJob(tminus::JobClient& client, Parts* parts) {
  using namespace tminus;
  using namespace tminus::bench;
  v1::SubmitJobRequest request;
  *request.mutable_spec() = Spec(1, 1, v1::EXECUTOR_THREADS);
  const double start = WallSeconds();
  auto job = client.Submit(request);
  if (!job.ok()) Die(job.status().ToString());
  auto last = client.Watch(job->id(), 1000, [](const auto&) {});
  const double end = WallSeconds();
  if (!last.ok()) Die(last.status().ToString());
  auto done = client.Get(job->id());
  auto report = client.Report(job->id());
  if (!done.ok() || !report.ok()) Die("cannot read job " + std::to_string(job->id()));
  if (report->state() != v1::JOB_STATE_SUCCEEDED || report->decrements() != report->n()) {
    Die(absl::StrFormat("job %d not exact: %s", job->id(), report->error()));
  }
  const double submitted = Seconds(done->submit_time());
  const double dispatched = Seconds(done->start_time());
  const double ended = Seconds(done->end_time());
  const double run = static_cast<double>(report->busy_ns()) * 1e-9;
  parts->total.push_back((end - start) * 1e6);
  parts->to_coordinator.push_back((submitted - start) * 1e6);
  parts->queued.push_back((dispatched - submitted) * 1e6);
  parts->hops.push_back((static_cast<double>(report->wall_ns()) * 1e-9 - run) * 1e6);
  parts->run.push_back(run * 1e6);
  parts->watch_end.push_back((end - ended) * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 1'000;
  auto cluster = StartCluster("latency", 2);
  JobClient client(cluster->address());
  Parts warm_up, parts;
  for (int i = 0; i < 20; ++i) TimeOneJob(client, &warm_up);
  for (int i = 0; i < jobs; ++i) TimeOneJob(client, &parts);
  std::cout << absl::StrFormat(
      "latency: %d sequential one-chunk jobs, submit to result: p50 %.0f us, p90 %.0f us, "
      "p99 %.0f us, max %.0f us (target p50 <= 200 us)\n",
      jobs, Percentile(parts.total, 0.5), Percentile(parts.total, 0.9),
      Percentile(parts.total, 0.99), Percentile(parts.total, 1.0));
  std::cout << absl::StrFormat(
      "where the time goes (p50): request to the coordinator %.0f us; queued until dispatched "
      "%.0f us; lease to the worker and result back %.0f us; the chunk's run %.1f us; the "
      "watch's end to the client %.0f us\n",
      Median(parts.to_coordinator), Median(parts.queued), Median(parts.hops), Median(parts.run),
      Median(parts.watch_end));
  cluster->Stop();
  return 0;
}
