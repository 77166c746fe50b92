// Benchmark 6a: many worker sessions against one coordinator process. This
// harness holds W sessions (each its own channel and TCP connection) in one
// process; each fake worker answers every lease at once (no countdown), so
// the numbers are the coordinator's: chunks/s through W sessions, its CPU
// time and its memory.
//   many_workers [WORKERS (default 1000)] [CHUNKS (default 2e6)] [CREDITS (default 64)]
// CREDITS is what each fake worker keeps granted (a real worker with tiny
// chunks grants up to 4096 per slot; with long chunks, 2 per slot).
#include <unistd.h>

#include <atomic>
#include <deque>
#include <iostream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/mutex.h"
#include "bench/bench_util.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus::bench {
namespace {

// One fake worker: Hello, credits, and a result for every lease at once.
// Threading: gRPC reactions; the write queue is guarded by mu_.
class FakeWorker : public grpc::ClientBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage> {
 public:
  FakeWorker(v1::WorkerService::Stub* stub, int index, int credits, std::atomic<int>* welcomed)
      : credits_(credits), welcomed_(welcomed) {
    stub->async()->Session(&context_, this);
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(absl::StrCat("fake-", index));
    hello.mutable_hello()->set_incarnation(static_cast<uint64_t>(index) + 1);
    hello.mutable_hello()->set_host("harness");
    hello.mutable_hello()->set_slots(1);
    hello.mutable_hello()->add_executors(v1::EXECUTOR_THREADS);
    Send(std::move(hello));
    StartRead(&incoming_);
    StartCall();
  }
  void Stop() { context_.TryCancel(); }
  void WaitDone() {
    MutexLock lock(&mu_);
    mu_.Await([this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_; });
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (incoming_.has_welcome()) {
      welcomed_->fetch_add(1);
      v1::WorkerMessage credit;
      credit.mutable_credit()->set_credits(credits_);
      Send(std::move(credit));
    } else if (incoming_.has_assign()) {
      v1::WorkerMessage results;
      v1::Results* out = results.mutable_results();
      for (const v1::Lease& lease : incoming_.assign().leases()) {
        v1::ChunkResult* r = out->add_results();
        r->set_job_id(lease.job_id());
        r->set_chunk(lease.chunk());
        r->set_attempt(lease.attempt());
        r->set_outcome(v1::CHUNK_OUTCOME_OK);
        r->set_decrements(lease.count());
      }
      out->set_credits(incoming_.assign().leases_size());
      Send(std::move(results));
    }
    StartRead(&incoming_);
  }
  void OnWriteDone(bool ok) override {
    MutexLock lock(&mu_);
    queue_.pop_front();
    if (ok && !queue_.empty()) StartWrite(&queue_.front());
  }
  void OnDone(const grpc::Status&) override {
    MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  void Send(v1::WorkerMessage message) {
    MutexLock lock(&mu_);
    queue_.push_back(std::move(message));
    if (queue_.size() == 1) StartWrite(&queue_.front());
  }

  grpc::ClientContext context_;
  v1::CoordinatorMessage incoming_;
  const int credits_;
  std::atomic<int>* welcomed_;
  Mutex mu_;
  std::deque<v1::WorkerMessage> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace
}  // namespace tminus::bench

int main(int argc, char** argv) {
  using namespace tminus;
  using namespace tminus::bench;
  const int workers = argc > 1 ? std::atoi(argv[1]) : 1'000;
  const auto chunks = static_cast<int64_t>(argc > 2 ? std::atof(argv[2]) : 2e6);
  const int credits = argc > 3 ? std::atoi(argv[3]) : 64;
  LocalClusterOptions options;
  options.bin_dir = LocalCluster::SelfDir();
  options.work_dir = absl::StrCat("/tmp/tminus-bench-many-", getpid());
  options.remove_work_dir = true;
  options.coordinator_flags = BenchCoordinatorFlags();
  auto cluster = LocalCluster::Start(options);
  if (!cluster.ok()) return 1;
  const int pid = (*cluster)->coordinator().pid();
  std::vector<std::unique_ptr<v1::WorkerService::Stub>> stubs;
  std::vector<std::unique_ptr<FakeWorker>> fakes;
  std::atomic<int> welcomed{0};
  for (int i = 0; i < workers; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("tminus.bench.channel", i);  // a distinct channel: its own connection
    stubs.push_back(v1::WorkerService::NewStub(grpc::CreateCustomChannel(
        (*cluster)->address(), grpc::InsecureChannelCredentials(), args)));
    fakes.push_back(std::make_unique<FakeWorker>(stubs.back().get(), i, credits, &welcomed));
  }
  while (welcomed.load() < workers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const int64_t rss_connected = RssBytes(pid);
  const double cpu_before = CpuSeconds(pid);
  JobClient client((*cluster)->address(), std::chrono::seconds(60));
  const JobRun run = RunJob(client, Spec(chunks, chunks, v1::EXECUTOR_THREADS));
  const double cpu = CpuSeconds(pid) - cpu_before;
  const double wall = run.report.wall_ns() * 1e-9;
  int used = 0;
  for (const auto& w : run.report.workers()) used += w.chunks() > 0;
  std::cout << absl::StrFormat(
      "many workers: %d sessions x %d credits (%d ran chunks), %d chunks exact in %.2f s: "
      "%.0f chunks/s; "
      "coordinator CPU %.2f s (%.0f%% of one core), RSS %.1f MB with all sessions open, peak "
      "%.1f MB\n",
      workers, credits, used, chunks, wall, chunks / wall, cpu, cpu / wall * 100, rss_connected / 1e6,
      PeakRssBytes(pid) / 1e6);
  for (auto& fake : fakes) fake->Stop();
  for (auto& fake : fakes) fake->WaitDone();
  (*cluster)->Stop();
  return 0;
}
