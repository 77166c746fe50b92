#include "worker/session_client.h"

#include <unistd.h>

#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/arena.h"
#include "common/logging.h"
#include "common/rpc.h"

namespace tminus {
namespace {

uint64_t RandomIncarnation() {
  std::random_device device;
  uint64_t value = 0;
  while (value == 0) value = (uint64_t{device()} << 32) | device();
  return value;
}

}  // namespace

SessionClient::SessionClient(WorkerOptions options)
    : options_(std::move(options)),
      incarnation_(RandomIncarnation()),
      credits_(options_.slots, options_.prefetch) {
  channel_ = MakeChannel(options_.coordinator);
  stub_ = v1::WorkerService::NewStub(channel_);
  PoolOptions pool;
  pool.slots = options_.slots;
  pool.processes = options_.processes;
  pool.child_binary = options_.child_binary;
  pool.kill_grace = options_.kill_grace;
  pool_ = std::make_unique<SlotPool>(
      pool, [this](uint64_t epoch, const RunResult& result) { OnResult(epoch, result); });
}

SessionClient::~SessionClient() {
  Stop();
  pool_.reset();  // joins the runners while the rest is still alive
}

void SessionClient::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  session_over_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

v1::WorkerMessage SessionClient::HelloMessage() const {
  v1::WorkerMessage message;
  v1::Hello* hello = message.mutable_hello();
  hello->set_worker_id(options_.worker_id);
  hello->set_incarnation(incarnation_);
  hello->set_host(Hostname());
  hello->set_slots(options_.slots);
  if (options_.threads) hello->add_executors(v1::EXECUTOR_THREADS);
  if (options_.processes) hello->add_executors(v1::EXECUTOR_PROCESSES);
  hello->set_version(Version());
  return message;
}

void SessionClient::Run() {
  auto log = Logger("worker");
  std::mt19937_64 jitter(incarnation_);
  std::chrono::milliseconds backoff{100};
  for (uint64_t epoch = 1;; ++epoch) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (RunSession(epoch)) backoff = std::chrono::milliseconds(100);
    pool_->AbandonBefore(epoch + 1);  // the coordinator has released those leases
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // Full jitter keeps a fleet of workers from reconnecting in lockstep.
    const auto wait = std::chrono::milliseconds(
        std::uniform_int_distribution<int64_t>(backoff.count() / 2, backoff.count())(jitter));
    log->info("worker={} reconnecting to {} in {} ms", options_.worker_id, options_.coordinator,
              wait.count());
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(wait));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool SessionClient::RunSession(uint64_t epoch) {
  auto log = Logger("worker");
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    context_ = &context;
    epoch_ = epoch;
    session_over_ = false;
    pending_.Clear();
    pending_count_ = 0;
    pending_busy_ns_ = 0;
  }
  auto stream = stub_->Session(&context);
  v1::CoordinatorMessage message;
  bool welcomed = false;
  std::thread sender;
  if (stream->Write(HelloMessage()) && stream->Read(&message) && message.has_welcome()) {
    welcomed = true;
    connected_ = true;
    ++sessions_opened_;
    const auto heartbeat = std::chrono::milliseconds(
        std::max<int64_t>(50, message.welcome().heartbeat_interval_ms()));
    log->info("worker={} incarnation={} connected coordinator={} slots={}", options_.worker_id,
              incarnation_, options_.coordinator, options_.slots);
    v1::WorkerMessage credit;
    {
      absl::MutexLock lock(&mu_);
      credit.mutable_credit()->set_credits(static_cast<int32_t>(credits_.Start()));
    }
    if (stream->Write(credit)) {
      sender = std::thread([&] { SenderLoop(epoch, stream.get(), heartbeat); });
      // Each message is parsed into an arena reset after it: an Assign of
      // thousands of leases costs no malloc per lease.
      google::protobuf::Arena arena;
      for (;;) {
        auto* incoming = google::protobuf::Arena::CreateMessage<v1::CoordinatorMessage>(&arena);
        if (!stream->Read(incoming)) break;
        if (incoming->has_assign()) {
          pool_->Submit(epoch, incoming->assign().leases());
        } else if (incoming->has_cancel()) {
          pool_->CancelJob(incoming->cancel().job_id());
        }
        arena.Reset();
      }
    }
  }
  {
    absl::MutexLock lock(&mu_);
    session_over_ = true;
    context_ = nullptr;
  }
  context.TryCancel();  // unblocks a sender stuck in Write
  if (sender.joinable()) sender.join();
  const grpc::Status status = stream->Finish();
  connected_ = false;
  log->info("worker={} session ended: {} {}", options_.worker_id,
            static_cast<int>(status.error_code()), status.error_message());
  return welcomed;
}

namespace {
void CopyResult(const RunResult& from, v1::ChunkResult* to) {
  to->set_job_id(from.job);
  to->set_chunk(from.chunk);
  to->set_attempt(from.attempt);
  to->set_outcome(from.outcome);
  to->set_decrements(from.decrements);
  to->set_start_mono_ns(from.start_mono_ns);
  to->set_end_mono_ns(from.end_mono_ns);
  to->set_start_wall_ns(from.start_wall_ns);
  to->set_cpu_ns(from.cpu_ns);
  to->set_slot(from.slot);
  to->set_executor(from.executor);
  to->set_error(from.error);
}
}  // namespace

void SessionClient::OnResult(uint64_t epoch, const RunResult& result) {
  absl::MutexLock lock(&mu_);
  if (session_over_) return;
  if (epoch == epoch_) {
    ++pending_count_;
    pending_busy_ns_ += result.end_mono_ns - result.start_mono_ns;
    CopyResult(result, pending_.add_results());
  } else if (result.outcome == v1::CHUNK_OUTCOME_OK) {
    // Finished work from a broken session: still worth offering (the
    // coordinator accepts it if the chunk is not done yet), but it returns no
    // credit to this session.
    CopyResult(result, pending_.add_results());
  }
}

void SessionClient::SenderLoop(
    uint64_t epoch,
    grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>* stream,
    std::chrono::milliseconds heartbeat) {
  (void)epoch;
  v1::WorkerMessage results;  // reused: its ChunkResult objects go back to pending_
  v1::WorkerMessage heartbeat_message;
  heartbeat_message.mutable_heartbeat();
  for (;;) {
    const v1::WorkerMessage* message = &results;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return session_over_ || pending_.results_size() > 0;
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::FromChrono(heartbeat));
      if (session_over_) return;
      if (pending_.results_size() == 0) {
        message = &heartbeat_message;
      } else {
        // Everything that finished meanwhile goes in one message.
        pending_.set_credits(
            static_cast<int32_t>(credits_.OnResults(pending_count_, pending_busy_ns_)));
        v1::Results* out = results.mutable_results();
        out->mutable_results()->Clear();  // keeps the objects for pending_ to reuse
        out->Swap(&pending_);
        pending_count_ = 0;
        pending_busy_ns_ = 0;
      }
    }
    if (!stream->Write(*message)) return;  // the read loop sees the end too
  }
}

}  // namespace tminus
