// Benchmark 5: coordinator memory for a job of 100,000,000 chunks (1
// decrement each): the coordinator's peak RSS (VmHWM) after the job, and its
// RSS sampled while it runs. Target <= 100 MB.
//   memory [CHUNKS (default 1e8)]
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "bench/bench_util.h"

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const auto chunks = static_cast<int64_t>(argc > 1 ? std::atof(argv[1]) : 1e8);
  auto cluster = StartCluster("memory", 2);
  const int pid = cluster->coordinator().pid();
  const int64_t idle_rss = RssBytes(pid);
  JobClient client(cluster->address(), std::chrono::seconds(60));
  v1::SubmitJobRequest request;
  *request.mutable_spec() = Spec(chunks, chunks, v1::EXECUTOR_THREADS);
  auto job = client.Submit(request);
  if (!job.ok()) return 1;
  const double start = NowSeconds();
  double last_print = start;
  for (;;) {
    auto status = client.Get(job->id());
    if (!status.ok()) return 1;
    if (status->state() != v1::JOB_STATE_RUNNING && status->state() != v1::JOB_STATE_QUEUED) break;
    if (NowSeconds() - last_print > 10) {
      last_print = NowSeconds();
      std::cout << absl::StrFormat("  %.0f s: %d/%d chunks done, coordinator RSS %.1f MB\n",
                                   last_print - start, status->chunks_done(), chunks,
                                   RssBytes(pid) / 1e6);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto report = client.Report(job->id());
  if (!report.ok() || report->decrements() != chunks) {
    std::cerr << "bench: job not exact\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "memory: job of %d chunks done exactly in %.1f s (%.0f chunks/s); coordinator RSS idle "
      "%.1f MB, peak %.1f MB (target <= 100 MB)\n",
      chunks, report->wall_ns() * 1e-9, chunks / (report->wall_ns() * 1e-9), idle_rss / 1e6,
      PeakRssBytes(pid) / 1e6);
  cluster->Stop();
  return 0;
}
