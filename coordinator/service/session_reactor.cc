#include "coordinator/service/session_reactor.h"

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/proto_convert.h"
#include "common/rpc.h"
#include "common/text.h"
#include "coordinator/service/convert.h"
#include "coordinator/service/worker_service.h"

namespace tminus {
namespace {

// How often workers report their CPU and memory (the dashboard's worker page).
constexpr int64_t kUsageReportMs = 1000;
constexpr size_t kArenaBlockBytes = 256 * 1024;

google::protobuf::ArenaOptions ArenaWithBlock(char* block) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = kArenaBlockBytes;
  return options;
}
}  // namespace

SessionReactor::SessionReactor(SchedulerHost* host, std::string peer,
                               std::function<void()> on_done)
    : host_(host),
      peer_(std::move(peer)),
      on_done_(std::move(on_done)),
      arena_block_(new char[kArenaBlockBytes]),
      arena_(ArenaWithBlock(arena_block_.get())) {
  incoming_ = google::protobuf::Arena::CreateMessage<v1::WorkerMessage>(&arena_);
  HappensBefore(this);
  StartRead(incoming_);
}

void SessionReactor::OnReadDone(bool ok) {
  HappensAfter(this);
  if (!ok) {
    // The worker closed its side or the stream broke: release its leases now.
    if (session_ != 0) host_->CloseSession(session_, this);
    session_ = 0;
    EndWith(absl::OkStatus());
    return;
  }
  const absl::Status applied = Apply(*incoming_);
  arena_.Reset();
  incoming_ = google::protobuf::Arena::CreateMessage<v1::WorkerMessage>(&arena_);
  if (!applied.ok()) {
    if (session_ != 0) host_->CloseSession(session_, this);
    session_ = 0;
    EndWith(applied);
    return;
  }
  HappensBefore(this);
  StartRead(incoming_);
}

absl::Status SessionReactor::Apply(const v1::WorkerMessage& message) {
  if (message.has_hello()) return ApplyHello(message.hello());
  if (session_ == 0) {
    return absl::FailedPreconditionError("the first message of a session must be Hello");
  }
  const SessionId id = session_;
  switch (message.msg_case()) {
    case v1::WorkerMessage::kCredit:
      return host_->Run([&](Scheduler& s) { return s.AddCredits(id, message.credit().credits()); });
    case v1::WorkerMessage::kResults: {
      std::vector<ChunkReport> results;
      results.reserve(message.results().results_size());
      for (const auto& result : message.results().results()) results.push_back(FromProto(result));
      absl::Status applied = host_->Run([&](Scheduler& s) {
        absl::Status status = s.OnResults(id, results);
        if (status.ok() && message.results().credits() != 0) {
          status = s.AddCredits(id, message.results().credits());
        }
        return status;
      });
      if (applied.ok() && message.results().seq() != 0) {
        host_->NoteApplied(id, message.results().seq());
      }
      return applied;
    }
    case v1::WorkerMessage::kHeartbeat:
      return host_->Run([&](Scheduler& s) { return s.Touch(id); });
    case v1::WorkerMessage::kDraining:
      return host_->Run([&](Scheduler& s) { return s.SetDraining(id); });
    case v1::WorkerMessage::kCalibration: {
      const Calibration calibration = FromProto(message.calibration());
      return host_->Run([&](Scheduler& s) { return s.SetCalibration(id, calibration); });
    }
    case v1::WorkerMessage::kRunning: {
      if (message.running().jobs_size() > kMaxWorkerSlots) {
        return absl::InvalidArgumentError("running.jobs: more entries than a worker has slots");
      }
      std::vector<std::pair<JobId, int32_t>> running;
      for (const auto& job : message.running().jobs()) running.emplace_back(job.job_id(), job.chunks());
      return host_->Run([&](Scheduler& s) { return s.SetRunning(id, std::move(running)); });
    }
    case v1::WorkerMessage::kUsage: {
      const ProcessUsage usage = FromProto(message.usage());
      return host_->Run([&](Scheduler& s) { return s.SetUsage(id, usage); });
    }
    default:
      return absl::InvalidArgumentError("worker message: empty or unknown kind");
  }
}

absl::Status SessionReactor::ApplyHello(const v1::Hello& hello) {
  if (session_ != 0) return absl::FailedPreconditionError("Hello sent twice on one session");
  const WorkerHello domain = FromProto(hello);
  const SchedulerOptions options = host_->Run([](Scheduler& s) { return s.options(); });
  absl::StatusOr<SessionId> id = host_->OpenSession(domain, this, [&] {
    v1::CoordinatorMessage welcome;
    welcome.mutable_welcome()->set_heartbeat_interval_ms(options.heartbeat_interval_ns / 1'000'000);
    welcome.mutable_welcome()->set_usage_report_ms(kUsageReportMs);
    MutexLock lock(&mu_);
    Enqueue(std::move(welcome));
  });
  if (!id.ok()) {
    // The fields are the peer's and were just refused: escaped and cut, so
    // no Hello can split, forge or swell a log line.
    Logger("coordinator")->warn("worker={} host={} peer={} refused: {}",
                                EscapeForLog(domain.worker_id), EscapeForLog(domain.host),
                                EscapeForLog(peer_), EscapeForLog(id.status().ToString()));
    return id.status();
  }
  session_ = *id;
  Logger("coordinator")->info("worker={} incarnation={} session={} host={} slots={} peer={} joined",
                              EscapeForLog(domain.worker_id), domain.incarnation, session_.load(),
                              EscapeForLog(domain.host), domain.slots, EscapeForLog(peer_));
  return absl::OkStatus();
}

void SessionReactor::Deliver(Outbox outbox) {
  MutexLock lock(&mu_);
  if (finished_) return;
  // Kernel definitions (up to 256 KiB each) go in Assigns of their own, a
  // few MiB each, before the leases: no message nears the 16 MiB limit, and
  // every lease still comes after its job's definition.
  for (size_t next = 0; next < outbox.kernels.size();) {
    v1::CoordinatorMessage message;
    size_t bytes = 0;
    while (next < outbox.kernels.size() && bytes < kKernelBytesPerAssign) {
      const KernelGrant& grant = outbox.kernels[next++];
      v1::JobKernel* kernel = message.mutable_assign()->add_kernels();
      kernel->set_job_id(grant.job);
      ToProto(*grant.kernel, kernel->mutable_kernel());
      bytes += kernel->kernel().ByteSizeLong();
    }
    Enqueue(std::move(message));
  }
  if (!outbox.leases.empty()) {
    // Coalesce with an Assign still waiting behind the one being written.
    const bool can_merge = outgoing_.size() > (writing_ ? 1u : 0u) && outgoing_.back().has_assign();
    if (can_merge) {
      for (const LeaseGrant& lease : outbox.leases) ToProto(lease, outgoing_.back().mutable_assign()->add_leases());
    } else {
      v1::CoordinatorMessage message;
      if (!spare_assigns_.empty()) {
        message = std::move(spare_assigns_.back());
        spare_assigns_.pop_back();
      }
      for (const LeaseGrant& lease : outbox.leases) ToProto(lease, message.mutable_assign()->add_leases());
      Enqueue(std::move(message));
    }
  }
  if (!outbox.forget.empty()) {
    v1::CoordinatorMessage message;
    message.mutable_forget()->mutable_job_ids()->Add(outbox.forget.begin(), outbox.forget.end());
    Enqueue(std::move(message));
  }
  for (const CancelOrder& order : outbox.cancels) {
    v1::CoordinatorMessage message;
    message.mutable_cancel()->set_job_id(order.job);
    message.mutable_cancel()->mutable_chunks()->Add(order.chunks.begin(), order.chunks.end());
    Enqueue(std::move(message));
  }
  if (outbox.drain) {
    v1::CoordinatorMessage message;
    message.mutable_drain();
    Enqueue(std::move(message));
  }
  if (outbox.close) FinishLocked(outbox.close_status);
}

void SessionReactor::DeliverAck(uint64_t seq) {
  MutexLock lock(&mu_);
  if (finished_) return;
  // An Ack still waiting behind the write in flight just moves forward.
  if (outgoing_.size() > (writing_ ? 1u : 0u) && outgoing_.back().has_ack()) {
    outgoing_.back().mutable_ack()->set_up_to_seq(seq);
    return;
  }
  v1::CoordinatorMessage message;
  message.mutable_ack()->set_up_to_seq(seq);
  Enqueue(std::move(message));
}

void SessionReactor::Enqueue(v1::CoordinatorMessage message) {
  outgoing_.push_back(std::move(message));
  if (!writing_) {
    writing_ = true;
    HappensBefore(this);
    StartWrite(&outgoing_.front());
  }
}

void SessionReactor::OnWriteDone(bool ok) {
  HappensAfter(this);
  MutexLock lock(&mu_);
  // Not those with kernel definitions: their strings would keep megabytes.
  if (outgoing_.front().has_assign() && outgoing_.front().assign().kernels().empty() &&
      spare_assigns_.size() < 4) {
    outgoing_.front().mutable_assign()->mutable_leases()->Clear();  // keeps the objects
    spare_assigns_.push_back(std::move(outgoing_.front()));
  }
  outgoing_.pop_front();
  writing_ = false;
  if (!ok) {
    // The stream is broken; the pending read fails and ends the session.
    outgoing_.clear();
    if (finish_after_writes_) {
      finish_after_writes_ = false;
      HappensBefore(this);
      Finish(finish_status_);
    }
    return;
  }
  if (finish_after_writes_ && outgoing_.empty()) {
    finish_after_writes_ = false;
    HappensBefore(this);
    Finish(finish_status_);
    return;
  }
  if (!outgoing_.empty()) {
    writing_ = true;
    HappensBefore(this);
    StartWrite(&outgoing_.front());
  }
}

void SessionReactor::FinishLocked(const absl::Status& status) {
  if (finished_) return;
  finished_ = true;
  if (!status.ok()) {
    Logger("coordinator")->info("session={} peer={} ended: {}", session_.load(),
                                EscapeForLog(peer_), EscapeForLog(status.ToString()));
  }
  if (writing_) {
    finish_after_writes_ = true;
    finish_status_ = ToGrpcStatus(status);
    return;
  }
  HappensBefore(this);
  Finish(ToGrpcStatus(status));
}

void SessionReactor::EndWith(const absl::Status& status) {
  MutexLock lock(&mu_);
  FinishLocked(status);
}

void SessionReactor::OnDone() {
  HappensAfter(this);
  if (session_ != 0) host_->CloseSession(session_, this);
  if (on_done_) on_done_();
  delete this;
}

namespace {
// A session refused before it starts (bad or missing worker token, too
// many sessions from one host).
class RejectedSession final
    : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage> {
 public:
  explicit RejectedSession(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// Refusals are logged (a worker with the wrong token must show up in the
// coordinator's log), but a flood of them must not flood the log: at most
// one line a second, with the count of those left out.
void LogRefused(const std::string& peer, const absl::Status& status) {
  static Mutex mu(absl::kConstInit);
  static int64_t last_ns = 0;
  static int64_t unlogged = 0;
  const int64_t now = RealClock::Get()->MonoNs();
  MutexLock lock(&mu);
  if (last_ns != 0 && now - last_ns < 1'000'000'000) {
    ++unlogged;
    return;
  }
  Logger("coordinator")->warn("worker session refused peer={} {}{}", EscapeForLog(peer),
                              EscapeForLog(status.ToString()),
                              unlogged > 0 ? absl::StrCat(" (", unlogged, " more not logged)") : "");
  last_ns = now;
  unlogged = 0;
}

}  // namespace

grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>* WorkerServiceImpl::Session(
    grpc::CallbackServerContext* context) {
  if (absl::Status denied = tokens_->Check(context->client_metadata(), Role::kWorker);
      !denied.ok()) {
    LogRefused(context->peer(), denied);
    return new RejectedSession(ToGrpcStatus(denied));
  }
  const std::string host = Admission::HostOf(context);
  if (absl::Status admitted = admission_->AcquireSession(host); !admitted.ok()) {
    LogRefused(context->peer(), admitted);
    return new RejectedSession(ToGrpcStatus(admitted));
  }
  return new SessionReactor(host_, context->peer(),
                            [admission = admission_, host] { admission->ReleaseSession(host); });
}

}  // namespace tminus
