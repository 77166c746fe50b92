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
  channel_ = MakeSecureChannel(options_.coordinator, options_.security);
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
  Authenticate(&context, options_.security);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    context_ = &context;
    epoch_ = epoch;
    session_over_ = false;
    resend_ = !unacked_.empty();
    // pending_ keeps results finished between sessions: they go out, with
    // no credit, in the first batch of this one.
    pending_count_ = 0;
    pending_busy_ns_ = 0;
  }
  auto stream = stub_->Session(&context);
  v1::CoordinatorMessage message;
  bool welcomed = false;
  std::thread sender;
  if (stream->Write(HelloMessage()) && stream->Read(&message) && message.has_welcome()) {
    welcomed = true;
    const auto heartbeat = std::chrono::milliseconds(
        std::max<int64_t>(50, message.welcome().heartbeat_interval_ms()));
    log->info("worker={} incarnation={} connected coordinator={} slots={}", options_.worker_id,
              incarnation_, options_.coordinator, options_.slots);
    if (options_.on_connection) options_.on_connection(true);
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
          const auto& chunks = incoming->cancel().chunks();
          pool_->Cancel(incoming->cancel().job_id(), {chunks.begin(), chunks.end()});
        } else if (incoming->has_ack()) {
          OnAck(incoming->ack().up_to_seq());
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
  if (welcomed && options_.on_connection) options_.on_connection(false);
  context.TryCancel();  // unblocks a sender stuck in Write
  if (sender.joinable()) sender.join();
  const grpc::Status status = stream->Finish();
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
  if (epoch == epoch_ && !session_over_) {
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

void SessionClient::OnAck(uint64_t up_to_seq) {
  absl::MutexLock lock(&mu_);
  while (!unacked_.empty() && unacked_.front().results().seq() <= up_to_seq) {
    if (spare_.size() < 4) {
      unacked_.front().mutable_results()->mutable_results()->Clear();  // keeps the objects
      spare_.push_back(std::move(unacked_.front()));
    }
    unacked_.pop_front();
  }
}

void SessionClient::SenderLoop(
    uint64_t epoch,
    grpc::ClientReaderWriter<v1::WorkerMessage, v1::CoordinatorMessage>* stream,
    std::chrono::milliseconds heartbeat) {
  (void)epoch;
  v1::WorkerMessage heartbeat_message;
  heartbeat_message.mutable_heartbeat();
  v1::WorkerMessage draining_message;
  draining_message.mutable_draining();
  for (;;) {
    std::vector<v1::WorkerMessage> resend;
    v1::WorkerMessage results;
    const v1::WorkerMessage* message = &heartbeat_message;
    {
      absl::MutexLock lock(&mu_);
      if (resend_) {
        // What the last session did not get acknowledged goes first, without
        // credits: the coordinator counts chunks already done as duplicates.
        resend_ = false;
        for (v1::WorkerMessage& old : unacked_) {
          old.mutable_results()->set_credits(0);
          resend.push_back(old);
        }
      }
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return session_over_ || pending_.results_size() > 0 || (draining_ && !draining_sent_);
      };
      if (resend.empty()) mu_.AwaitWithTimeout(absl::Condition(&ready), absl::FromChrono(heartbeat));
      if (session_over_) return;
      if (draining_ && !draining_sent_) {
        draining_sent_ = true;
        message = &draining_message;
      } else if (pending_.results_size() > 0) {
        // Everything that finished meanwhile goes in one message.
        const int64_t credits = credits_.OnResults(pending_count_, pending_busy_ns_);
        pending_.set_credits(draining_ ? 0 : static_cast<int32_t>(credits));
        pending_.set_seq(next_seq_++);
        if (!spare_.empty()) {
          results = std::move(spare_.back());
          spare_.pop_back();
        }
        results.mutable_results()->Swap(&pending_);
        pending_count_ = 0;
        pending_busy_ns_ = 0;
        message = &results;
      }
    }
    for (const v1::WorkerMessage& old : resend) {
      if (!stream->Write(old)) return;
    }
    if (!stream->Write(*message)) return;  // the read loop sees the end too
    if (message == &results) {
      absl::MutexLock lock(&mu_);
      unacked_.push_back(std::move(results));
    }
  }
}

void SessionClient::Drain(std::chrono::milliseconds grace, std::chrono::milliseconds ack_wait) {
  auto log = Logger("worker");
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  log->info("worker={} draining: handing back queued chunks, {} ms for running ones",
            options_.worker_id, grace.count());
  pool_->Drain(grace);
  absl::MutexLock lock(&mu_);
  auto flushed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return stopping_ || (pending_.results_size() == 0 && unacked_.empty());
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&flushed), absl::FromChrono(ack_wait))) {
    log->warn("worker={} {} result batches not acknowledged at exit", options_.worker_id,
              unacked_.size());
  }
  stopping_ = true;
  session_over_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

}  // namespace tminus
