#include "worker/session_client.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/process_usage.h"
#include "common/rpc.h"
#include "google/protobuf/arena.h"

namespace tminus {
namespace {

// Repeated failures to reach the coordinator are logged once, then at most
// this often.
constexpr int64_t kFailureLogEveryNs = 10'000'000'000;

uint64_t RandomIncarnation() {
  std::random_device device;
  uint64_t value = 0;
  while (value == 0) value = (uint64_t{device()} << 32) | device();
  return value;
}

int64_t Now() { return RealClock::Get()->MonoNs(); }

WorkerSessionOptions CoreOptions(const WorkerOptions& options, uint64_t incarnation) {
  WorkerSessionOptions core;
  core.identity = options;
  const auto host = options.labels.find("host");
  core.identity.host = host != options.labels.end() && !host->second.empty() ? host->second
                                                                           : Hostname();
  core.identity.version = Version();
  core.identity.incarnation = incarnation;
  core.prefetch = options.prefetch;
  core.max_unacked_results = options.max_unacked_results;
  core.read_usage = ReadProcessTreeUsage;
  return core;
}

}  // namespace

SessionClient::SessionClient(WorkerOptions options)
    : options_(std::move(options)),
      incarnation_(RandomIncarnation()),
      core_(CoreOptions(options_, incarnation_)) {
  channel_ = MakeSecureChannel(options_.coordinator, options_.security);
  stub_ = v1::WorkerService::NewStub(channel_);
  PoolOptions pool;
  pool.slots = options_.slots;
  pool.processes = options_.processes;
  pool.child_binary = options_.child_binary;
  pool.kill_grace = options_.kill_grace;
  pool.command = options_.command;
  if (options_.pin) pool.pin_cpus = options_.topology.pin_order;
  pool_ = std::make_unique<SlotPool>(
      pool, [this](const std::vector<Finished>& finished) { OnResults(finished); });
  if (options_.calibration.samples > 0) {
    calibrator_ = std::make_unique<Calibrator>(
        pool_.get(), options_.calibration, [this](const Calibration& calibration) {
          Logger("worker")->info("worker={} bare kernel on one idle thread: {:.3g} G/s (best "
                                 "of {}, {:.3g}-{:.3g}, {:.0f}% of a CPU)",
                                 options_.worker_id, calibration.rate / 1e9, calibration.samples,
                                 calibration.min_rate / 1e9, calibration.max_rate / 1e9,
                                 calibration.cpu_share * 100);
          MutexLock lock(&mu_);
          core_.OnCalibration(calibration, Now());
        });
  }
}

SessionClient::~SessionClient() {
  Stop();
  calibrator_.reset();
  pool_.reset();  // joins the runners while the rest is still alive
}

void SessionClient::Stop() {
  MutexLock lock(&mu_);
  stopping_ = true;
  stream_over_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

std::string SessionClient::refusal() const {
  MutexLock lock(&mu_);
  return refusal_;
}

int64_t SessionClient::unacked_results() const {
  MutexLock lock(&mu_);
  return core_.unacked_results();
}

int64_t SessionClient::unacked_batches() const {
  MutexLock lock(&mu_);
  return static_cast<int64_t>(core_.unacked_batches());
}

bool SessionClient::connected() const {
  MutexLock lock(&mu_);
  return core_.live();
}

void SessionClient::OnResults(const std::vector<Finished>& finished) {
  const int64_t now = Now();
  MutexLock lock(&mu_);  // once per batch: the writer's condition is checked once
  for (const Finished& one : finished) core_.OnSlotResult(one.epoch, one.result, now);
}

RunEnd SessionClient::Run() {
  for (;;) {
    const SessionEnd end = RunSession();
    StreamVerdict verdict;
    {
      MutexLock order(&pool_order_mu_);
      {
        MutexLock lock(&mu_);
        if (stopping_) return RunEnd::kStopped;
        verdict = core_.OnStreamEnded(FromGrpcStatus(end.status), Now());
        if (verdict.stop) refusal_ = verdict.message;
      }
      pool_->Execute(verdict.pool);
    }
    if (end.welcomed && options_.on_connection) options_.on_connection(false);
    LogEnd(verdict);
    if (verdict.stop) return RunEnd::kRefused;
    AwaitChannel(std::chrono::nanoseconds(verdict.reconnect_after_ns));
  }
}

void SessionClient::LogEnd(const StreamVerdict& verdict) {
  auto log = Logger("worker");
  if (verdict.stop) {
    log->error("worker={} {}", options_.worker_id, verdict.message);
    return;
  }
  if (!verdict.warn) {
    log->info("worker={} {}; reconnecting", options_.worker_id, verdict.message);
    return;
  }
  const int64_t now = Now();
  if (quiet_failures_ > 0 && now - last_failure_log_ns_ < kFailureLogEveryNs) {
    ++quiet_failures_;
    return;
  }
  log->warn("worker={} coordinator={} {}{}; retrying", options_.worker_id, options_.coordinator,
            verdict.message,
            quiet_failures_ > 1 ? absl::StrCat(" (", quiet_failures_, " attempts)") : "");
  quiet_failures_ = 1;
  last_failure_log_ns_ = now;
}

void SessionClient::AwaitChannel(std::chrono::nanoseconds limit) {
  // A connected channel means the coordinator answered and refused or ended
  // the session: wait the whole backoff. Otherwise go as soon as the channel
  // connects (it retries every 0.5 s at most: common/rpc.h), so a worker is
  // back within about that long after the coordinator listens again.
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    const auto step = std::min<std::chrono::nanoseconds>(deadline - now, std::chrono::milliseconds(200));
    if (channel_->GetState(true) == GRPC_CHANNEL_READY) {
      MutexLock lock(&mu_);
      mu_.AwaitWithTimeout([this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; }, absl::FromChrono(step));
      continue;
    }
    if (channel_->WaitForConnected(std::chrono::system_clock::now() + step)) return;
  }
}

SessionClient::SessionEnd SessionClient::RunSession() {
  SessionEnd end;
  grpc::ClientContext context;
  Authenticate(&context, options_.security);
  {
    MutexLock lock(&mu_);
    if (stopping_) return end;
    context_ = &context;
    stream_over_ = false;
    writer_done_ = false;
    core_.OnStreamStarted(Now());
  }
  auto stream = stub_->Session(&context);
  std::thread writer([&] { WriterLoop(stream.get()); });
  // Each message is parsed into an arena reset after it: an Assign of
  // thousands of leases costs no malloc per lease.
  google::protobuf::Arena arena;
  for (;;) {
    auto* incoming = google::protobuf::Arena::CreateMessage<v1::CoordinatorMessage>(&arena);
    if (!stream->Read(incoming)) break;
    bool live = false;
    {
      MutexLock order(&pool_order_mu_);
      PoolCommands commands;
      {
        MutexLock lock(&mu_);
        commands = core_.OnMessage(*incoming, Now());
        live = core_.live();
      }
      pool_->Execute(commands);
    }
    arena.Reset();
    if (live && !end.welcomed) {
      end.welcomed = true;
      quiet_failures_ = 0;
      if (sessions_welcomed_++ > 0) ++reconnects_;
      Logger("worker")->info("worker={} incarnation={} connected coordinator={} slots={}",
                             options_.worker_id, incarnation_, options_.coordinator,
                             options_.slots);
      if (options_.on_connection) options_.on_connection(true);
    }
  }
  {
    // The read side is over: the coordinator ended the call (with a status
    // worth reading, so no TryCancel that would turn it into CANCELLED) or
    // the stream broke. Either way the writer's next Write fails; a writer
    // stuck in one longer than a second is cancelled.
    MutexLock lock(&mu_);
    stream_over_ = true;
    if (!mu_.AwaitWithTimeout([this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return writer_done_; }, absl::Seconds(1))) {
      context.TryCancel();
    }
    context_ = nullptr;
  }
  writer.join();
  end.status = stream->Finish();
  return end;
}

void SessionClient::WriterLoop(
    grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>* stream) {
  struct Done {
    SessionClient* self;
    ~Done() {
      MutexLock lock(&self->mu_);
      self->writer_done_ = true;
    }
  } done{this};
  for (;;) {
    std::shared_ptr<const v1::WorkerMessage> message;
    bool release_memory = false;
    {
      MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stream_over_ || core_.HasOutgoing(Now());
      };
      // Sleeps to the next deadline (a heartbeat, results that have waited
      // long enough), and wakes early when an event brings it forward: a
      // first result must not wait for the heartbeat's timeout.
      int64_t deadline_ns = 0;
      auto ready_or_sooner = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return ready() || core_.NextDeadlineNs() < deadline_ns;
      };
      while (!ready()) {
        // Chunks start and end without a message to this thread: while any
        // lease is here, look at the slots every kRunningReportNs.
        core_.OnRunning(pool_->RunningByJob(), Now());
        if (ready()) break;
        deadline_ns = core_.NextDeadlineNs();
        const int64_t until_ns = deadline_ns - Now();
        int64_t wait_ns = until_ns > 0 ? until_ns : 1'000'000;  // past: a new event
        if (core_.outstanding() > 0) wait_ns = std::min(wait_ns, WorkerSession::kRunningReportNs);
        mu_.AwaitWithTimeout(ready_or_sooner, absl::Nanoseconds(wait_ns));
      }
      if (stream_over_) return;
      message = core_.TakeOutgoing(Now());
      release_memory = core_.TakeMemoryReleaseDue();
    }
    if (release_memory) malloc_trim(0);  // acknowledged results: give the memory back
    if (message != nullptr && !stream->Write(*message)) return;  // the reader sees the end too
  }
}

void SessionClient::Drain(std::chrono::milliseconds grace, std::chrono::milliseconds ack_wait) {
  auto log = Logger("worker");
  log->info("worker={} draining: handing back queued chunks, {} ms for running ones",
            options_.worker_id, grace.count());
  {
    MutexLock order(&pool_order_mu_);
    PoolCommands commands;
    {
      MutexLock lock(&mu_);
      commands = core_.StartDrain(Now(), absl::ToInt64Nanoseconds(absl::FromChrono(grace)),
                                  absl::ToInt64Nanoseconds(absl::FromChrono(ack_wait)));
    }
    pool_->Execute(commands);
  }
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stopping_ || core_.DrainFinished(Now());
  };
  for (;;) {
    {
      MutexLock order(&pool_order_mu_);
      PoolCommands tick;
      {
        MutexLock lock(&mu_);
        if (done()) break;
        tick = core_.OnTick(Now());
      }
      if (!tick.empty()) {
        pool_->Execute(tick);
        continue;
      }
    }
    MutexLock lock(&mu_);
    if (done()) break;
    const int64_t wait_ns = std::max<int64_t>(core_.NextDeadlineNs() - Now(), 1'000'000);
    mu_.AwaitWithTimeout(done, absl::Nanoseconds(std::min<int64_t>(wait_ns, 100'000'000)));
  }
  {
    MutexLock lock(&mu_);
    if (core_.unacked_results() > 0 || core_.pending_results() > 0 || core_.outstanding() > 0) {
      log->warn("worker={} stopping with {} results not acknowledged, {} not sent, {} chunks "
                "still running", options_.worker_id, core_.unacked_results(),
                core_.pending_results(), core_.outstanding());
    }
  }
  Stop();
}

}  // namespace tminus
