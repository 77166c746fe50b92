#include "worker/worker_session.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/proto_convert.h"

namespace tminus {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinHeartbeatNs = 50'000'000;
// A coordinator that refuses sessions for lack of room gets this long at least.
constexpr int64_t kExhaustedBackoffNs = 1'000'000'000;
// Acknowledged batches kept with their cleared results, so that new results
// reuse them instead of allocating (batches in flight until their Ack).
constexpr size_t kMaxSpareBatches = 16;
// Acknowledged results beyond this many at the peak are worth a malloc_trim.
constexpr int64_t kReleaseMemoryFrom = 65'536;

v1::ChunkOutcome ToProto(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kOk: return v1::CHUNK_OUTCOME_OK;
    case RunOutcome::kFailed: return v1::CHUNK_OUTCOME_FAILED;
    case RunOutcome::kCancelled: return v1::CHUNK_OUTCOME_CANCELLED;
  }
  return v1::CHUNK_OUTCOME_UNSPECIFIED;
}

void CopyResult(const RunResult& from, v1::ChunkResult* to) {
  to->set_job_id(from.job);
  to->set_chunk(from.chunk);
  to->set_attempt(from.attempt);
  to->set_outcome(ToProto(from.outcome));
  to->set_decrements(from.decrements);
  to->set_start_mono_ns(from.start_mono_ns);
  to->set_end_mono_ns(from.end_mono_ns);
  to->set_start_wall_ns(from.start_wall_ns);
  to->set_cpu_ns(from.cpu_ns);
  to->set_kernel_ns(from.kernel_ns);
  to->set_slot(from.slot);
  if (from.error.empty()) {
    to->clear_error();  // no allocation: setting "" would make a string
  } else {
    to->set_error(from.error);
  }
}

// Codes after which trying again cannot help: the coordinator refuses this
// worker as it is configured (token, name, hello) or another process took
// its name over.
bool Refused(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnimplemented:
      return true;
    default:
      return false;
  }
}

}  // namespace

WorkerSession::WorkerSession(WorkerSessionOptions options)
    : options_(std::move(options)),
      credits_(options_.identity.slots, options_.prefetch),
      jitter_(options_.identity.incarnation),
      heartbeat_ns_(options_.heartbeat_ns) {}

uint64_t WorkerSession::OnStreamStarted(int64_t now_ns) {
  ++epoch_;
  stream_open_ = true;
  hello_sent_ = false;
  welcomed_ = false;
  draining_sent_ = false;
  calibration_sent_ = false;
  running_sent_.clear();
  usage_sent_ns_ = 0;
  usage_report_ns_ = 0;  // until this stream's Welcome asks for reports
  kernels_.clear();  // a new session sends them again
  granted_ = 0;
  last_write_ns_ = now_ns;
  // Every unacknowledged batch goes out again, without credits: those were
  // granted to a session that is gone.
  resend_next_ = 0;
  resend_end_ = unacked_.size();
  for (auto& batch : unacked_) batch->mutable_results()->set_credits(0);
  return epoch_;
}

int64_t WorkerSession::GrantDue() const {
  if (!live() || draining_ || unacked_results_ >= options_.max_unacked_results) return 0;
  return std::max<int64_t>(0, credits_.Desired() - outstanding_ - granted_);
}

WorkerSession::Next WorkerSession::NextMessage(int64_t now_ns) const {
  if (!stream_open_) return Next::kNone;
  if (!hello_sent_) return Next::kHello;
  if (!welcomed_) return Next::kNone;
  if (draining_ && !draining_sent_) return Next::kDraining;
  if (resend_next_ < resend_end_) return Next::kResend;
  if (ResultsDue(now_ns)) return Next::kResults;
  // Credits freed by results that wait go with them, in one message.
  if (pending_.results_size() == 0 && GrantDue() > 0) return Next::kCredit;
  if (calibration_.valid() && !calibration_sent_) return Next::kCalibration;
  if (running_ != running_sent_ && now_ns - running_sent_ns_ >= kRunningReportNs) {
    return Next::kRunning;
  }
  if (UsageDue(now_ns)) return Next::kUsage;
  if (now_ns - last_write_ns_ >= heartbeat_ns_) return Next::kHeartbeat;
  return Next::kNone;
}

bool WorkerSession::UsageDue(int64_t now_ns) const {
  return options_.read_usage && usage_report_ns_ > 0 &&
         (usage_sent_ns_ == 0 || now_ns - usage_sent_ns_ >= usage_report_ns_);
}

int64_t WorkerSession::ResultDelayNs() const {
  const auto one_percent = static_cast<int64_t>(credits_.mean_chunk_ns() / 100);
  return std::clamp(one_percent, kMinResultDelayNs, kMaxResultDelayNs);
}

bool WorkerSession::CreditsLow() const {
  const int64_t slots = options_.identity.slots;
  const int64_t prefetch = credits_.Desired() - slots;
  return outstanding_ <= slots + prefetch / 2;
}

bool WorkerSession::BatchesFillAnyway() const {
  const double mean = credits_.mean_chunk_ns();
  return mean > 0 && static_cast<double>(options_.identity.slots * ResultDelayNs()) / mean >=
                         kFullEnoughBatch;
}

int64_t WorkerSession::HoldNs() const {
  return CreditsLow() || BatchesFillAnyway() ? ResultDelayNs() : kMaxResultDelayNs;
}

bool WorkerSession::ResultsDue(int64_t now_ns) const {
  const int pending = pending_.results_size();
  if (pending == 0) return false;
  return pending >= kMaxResultBatch || outstanding_ == 0 || draining_ || job_ended_here_ ||
         now_ns - pending_since_ns_ >= HoldNs();
}

bool WorkerSession::HasOutgoing(int64_t now_ns) const {
  return NextMessage(now_ns) != Next::kNone;
}

std::shared_ptr<const v1::WorkerMessage> WorkerSession::TakeOutgoing(int64_t now_ns) {
  std::shared_ptr<v1::WorkerMessage> message;
  switch (NextMessage(now_ns)) {
    case Next::kNone:
      return nullptr;
    case Next::kHello: {
      hello_sent_ = true;
      message = std::make_shared<v1::WorkerMessage>();
      v1::Hello* hello = message->mutable_hello();
      ToProto(options_.identity, hello);
      if (calibration_.valid()) {
        Calibration aged = calibration_;
        aged.age_ns = now_ns - calibrated_at_ns_;
        ToProto(aged, hello->mutable_calibration());
        calibration_sent_ = true;
      }
      break;
    }
    case Next::kCalibration: {
      calibration_sent_ = true;
      message = std::make_shared<v1::WorkerMessage>();
      Calibration aged = calibration_;
      aged.age_ns = now_ns - calibrated_at_ns_;
      ToProto(aged, message->mutable_calibration());
      break;
    }
    case Next::kRunning:
      running_sent_ = running_;
      running_sent_ns_ = now_ns;
      message = std::make_shared<v1::WorkerMessage>();
      message->mutable_running();  // set even when no job runs: "none now" is a report too
      for (const auto& [job, chunks] : running_) {
        v1::Running::Job* entry = message->mutable_running()->add_jobs();
        entry->set_job_id(job);
        entry->set_chunks(chunks);
      }
      break;
    case Next::kDraining:
      draining_sent_ = true;
      message = std::make_shared<v1::WorkerMessage>();
      message->mutable_draining();
      break;
    case Next::kResend:
      message = unacked_[resend_next_++];
      break;
    case Next::kResults:
      message = StageResults();
      break;
    case Next::kCredit: {
      const int64_t grant = GrantDue();
      granted_ += grant;
      message = std::make_shared<v1::WorkerMessage>();
      message->mutable_credit()->set_credits(static_cast<int32_t>(grant));
      break;
    }
    case Next::kUsage:
      usage_sent_ns_ = now_ns;
      message = std::make_shared<v1::WorkerMessage>();
      ToProto(options_.read_usage(), message->mutable_usage());
      break;
    case Next::kHeartbeat:
      message = std::make_shared<v1::WorkerMessage>();
      message->mutable_heartbeat();
      break;
  }
  last_write_ns_ = now_ns;
  return message;
}

std::shared_ptr<v1::WorkerMessage> WorkerSession::SpareMessage() {
  if (spare_.empty()) return std::make_shared<v1::WorkerMessage>();
  std::shared_ptr<v1::WorkerMessage> message = std::move(spare_.back());
  spare_.pop_back();
  return message;
}

std::shared_ptr<v1::WorkerMessage> WorkerSession::StageResults() {
  std::shared_ptr<v1::WorkerMessage> message = SpareMessage();
  v1::Results* results = message->mutable_results();
  results->Swap(&pending_);  // pending_ keeps the spare's cleared result objects
  pending_since_ns_ = 0;
  job_ended_here_ = false;
  results->set_seq(next_seq_++);
  unacked_results_ += results->results_size();
  unacked_peak_ = std::max(unacked_peak_, unacked_results_);
  const int64_t grant = GrantDue();  // after counting this batch against the bound
  granted_ += grant;
  results->set_credits(static_cast<int32_t>(grant));
  unacked_.push_back(message);  // after the resend range: written now, by the caller
  return message;
}

int64_t WorkerSession::NextDeadlineNs() const {
  int64_t next = kNever;
  if (live()) next = last_write_ns_ + heartbeat_ns_;
  if (live() && pending_.results_size() > 0) {
    next = std::min(next, pending_since_ns_ + HoldNs());
  }
  if (live() && running_ != running_sent_) {
    next = std::min(next, running_sent_ns_ + kRunningReportNs);
  }
  if (live() && options_.read_usage && usage_report_ns_ > 0) {
    next = std::min(next, usage_sent_ns_ + usage_report_ns_);
  }
  if (draining_ && !stop_running_sent_) next = std::min(next, drain_deadline_ns_);
  if (draining_) {
    const int64_t idle = idle_since_ns_ != 0 ? idle_since_ns_ : drain_deadline_ns_;
    next = std::min(next, std::min(idle, drain_deadline_ns_) + ack_wait_ns_);
  }
  return next;
}

void WorkerSession::OnCalibration(const Calibration& calibration, int64_t now_ns) {
  calibration_ = calibration;
  calibrated_at_ns_ = now_ns;
  calibration_sent_ = false;
}

void WorkerSession::OnRunning(RunningByJob running, int64_t /*now_ns*/) {
  std::sort(running.begin(), running.end());  // comparable with what was sent
  running_ = std::move(running);
}

PoolCommands WorkerSession::OnMessage(const v1::CoordinatorMessage& message, int64_t now_ns) {
  PoolCommands commands;
  switch (message.msg_case()) {
    case v1::CoordinatorMessage::kWelcome:
      welcomed_ = true;
      failures_in_a_row_ = 0;
      heartbeat_ns_ = std::max(kMinHeartbeatNs,
                               message.welcome().heartbeat_interval_ms() * 1'000'000);
      // Capped, so that a hostile interval cannot overflow the arithmetic.
      usage_report_ns_ =
          message.welcome().usage_report_ms() <= 0
              ? 0
              : std::max(kMinUsageReportNs,
                         std::min<int64_t>(message.welcome().usage_report_ms(), 86'400'000) *
                             1'000'000);
      break;
    case v1::CoordinatorMessage::kAssign:
      return OnAssign(message.assign(), now_ns);
    case v1::CoordinatorMessage::kCancel: {
      const auto& chunks = message.cancel().chunks();
      commands.stop.push_back(StopOrder{message.cancel().job_id(), {chunks.begin(), chunks.end()}});
      break;
    }
    case v1::CoordinatorMessage::kAck:
      OnAck(message.ack().up_to_seq());
      break;
    case v1::CoordinatorMessage::kForget:
      for (uint64_t job : message.forget().job_ids()) kernels_.erase(job);
      break;
    case v1::CoordinatorMessage::kDrain:
      // An admin drained this worker: queued leases go back (as CANCELLED),
      // running ones finish. The stream stays open for `tminus undrain`.
      commands.hand_back_queued = true;
      break;
    default:
      break;  // a kind this version does not know
  }
  return commands;
}

PoolCommands WorkerSession::OnAssign(const v1::Assign& assign, int64_t now_ns) {
  PoolCommands commands;
  commands.epoch = epoch_;
  const int64_t count = assign.leases_size();
  granted_ = std::max<int64_t>(0, granted_ - count);
  for (const v1::JobKernel& kernel : assign.kernels()) {
    kernels_[kernel.job_id()] = FromProto(kernel.kernel());
  }
  for (const v1::Lease& lease : assign.leases()) {
    LeaseSpec spec{lease.job_id(), lease.chunk(), lease.attempt(), lease.count(),
                   FromProto(lease.executor()), lease.max_running(), lease.begin(), nullptr};
    if (draining_) {
      // Crossed our Draining message: handed back at once, never run.
      AnswerAtOnce(spec, RunOutcome::kCancelled, "", now_ns);
      continue;
    }
    if (absl::Status kernel = AttachKernel(lease, &spec); !kernel.ok()) {
      AnswerAtOnce(spec, RunOutcome::kFailed, std::string(kernel.message()), now_ns);
      continue;
    }
    ++outstanding_;
    ++outstanding_by_job_[lease.job_id()];
    commands.run.push_back(std::move(spec));
  }
  return commands;
}

void WorkerSession::AnswerAtOnce(const LeaseSpec& lease, RunOutcome outcome, std::string error,
                                 int64_t now_ns) {
  RunResult result;
  result.job = lease.job;
  result.chunk = lease.chunk;
  result.attempt = lease.attempt;
  result.outcome = outcome;
  result.executor = lease.executor;
  result.error = std::move(error);
  if (pending_.results_size() == 0) pending_since_ns_ = now_ns;
  CopyResult(result, pending_.add_results());
}

absl::Status WorkerSession::AttachKernel(const v1::Lease& lease, LeaseSpec* spec) const {
  KernelKind kind;
  if (!FromProto(lease.kernel(), &kind)) {
    return absl::FailedPreconditionError(
        absl::StrCat("kernel ", static_cast<int>(lease.kernel()), " is unknown to this worker"));
  }
  if (kind == KernelKind::kCountdown) return absl::OkStatus();
  if (!options_.identity.Allows(kind)) {
    return absl::PermissionDeniedError(absl::StrCat("the ", KernelName(kind),
                                                    " kernel is not allowed on this worker "
                                                    "(start it with --allow-kernels ",
                                                    KernelName(kind), ")"));
  }
  const auto known = kernels_.find(lease.job_id());
  if (known == kernels_.end() || known->second == nullptr || known->second->kind != kind) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no definition of job ", lease.job_id(), "'s ", KernelName(kind), " kernel came before its lease"));
  }
  spec->kernel = known->second;
  return absl::OkStatus();
}

void WorkerSession::OnAck(uint64_t up_to_seq) {
  while (!unacked_.empty() && unacked_.front()->results().seq() <= up_to_seq) {
    std::shared_ptr<v1::WorkerMessage>& front = unacked_.front();
    unacked_results_ -= front->results().results_size();
    // Reuse only what no writer still holds.
    if (front.use_count() == 1 && spare_.size() < kMaxSpareBatches) {
      front->mutable_results()->mutable_results()->Clear();  // keeps the objects
      spare_.push_back(std::move(front));
    }
    unacked_.pop_front();
    if (resend_next_ > 0) --resend_next_;
    if (resend_end_ > 0) --resend_end_;
  }
  if (unacked_results_ == 0 && unacked_peak_ >= kReleaseMemoryFrom) {
    memory_release_due_ = true;
    unacked_peak_ = 0;
    spare_.clear();
  }
}

bool WorkerSession::TakeMemoryReleaseDue() { return std::exchange(memory_release_due_, false); }

void WorkerSession::OnSlotResult(uint64_t epoch, const RunResult& result, int64_t now_ns) {
  outstanding_ = std::max<int64_t>(0, outstanding_ - 1);
  if (auto job = outstanding_by_job_.find(result.job);
      job != outstanding_by_job_.end() && --job->second <= 0) {
    outstanding_by_job_.erase(job);
    job_ended_here_ = true;
  }
  if (draining_ && outstanding_ == 0 && idle_since_ns_ == 0) idle_since_ns_ = now_ns;
  if (result.outcome == RunOutcome::kOk) {
    credits_.Observe(1, result.end_mono_ns - result.start_mono_ns);
  }
  const bool this_session = epoch == epoch_ && stream_open_;
  // The coordinator released an ended session's leases: only finished work
  // is still worth offering (accepted if the chunk is not done yet).
  if (!this_session && result.outcome != RunOutcome::kOk) return;
  if (pending_.results_size() == 0) pending_since_ns_ = now_ns;
  CopyResult(result, pending_.add_results());
}

void WorkerSession::DropUnfinishedPending() {
  // The coordinator released the ended session's leases: of the results that
  // waited to be sent, only finished work is still worth offering.
  auto* results = pending_.mutable_results();
  int kept = 0;
  for (int i = 0; i < results->size(); ++i) {
    if (results->Get(i).outcome() != v1::CHUNK_OUTCOME_OK) continue;
    if (i != kept) results->SwapElements(i, kept);
    ++kept;
  }
  while (results->size() > kept) results->RemoveLast();
  if (kept == 0) pending_since_ns_ = 0;
}

int64_t WorkerSession::Backoff(absl::StatusCode code) {
  const int shift = std::min(failures_in_a_row_ - 1, 20);
  int64_t delay = std::min(options_.min_backoff_ns << std::max(shift, 0), options_.max_backoff_ns);
  // Full jitter keeps a fleet of workers from reconnecting in lockstep.
  delay = std::uniform_int_distribution<int64_t>(delay / 2, delay)(jitter_);
  if (code == absl::StatusCode::kResourceExhausted) delay = std::max(delay, kExhaustedBackoffNs);
  return delay;
}

StreamVerdict WorkerSession::OnStreamEnded(const absl::Status& status, int64_t now_ns) {
  (void)now_ns;
  const bool was_live = live();
  stream_open_ = false;
  welcomed_ = false;
  granted_ = 0;
  DropUnfinishedPending();
  StreamVerdict verdict;
  verdict.pool.drop_queued_before = epoch_ + 1;
  const std::string cause = absl::StrCat(absl::StatusCodeToString(status.code()),
                                         status.message().empty() ? "" : ": ", status.message());
  if (Refused(status.code())) {
    verdict.stop = true;
    verdict.warn = true;
    verdict.message = absl::StrCat("the coordinator refused worker ", options_.identity.worker_id,
                                   ": ", cause);
    return verdict;
  }
  if (was_live) {
    failures_in_a_row_ = 0;
    verdict.reconnect_after_ns = 0;  // the channel paces the reconnect
  } else {
    ++failures_in_a_row_;
    verdict.reconnect_after_ns = Backoff(status.code());
  }
  verdict.warn = !was_live || status.code() != absl::StatusCode::kUnavailable;
  verdict.message = absl::StrCat(was_live ? "session ended: " : "no session: ", cause);
  return verdict;
}

PoolCommands WorkerSession::StartDrain(int64_t now_ns, int64_t grace_ns, int64_t ack_wait_ns) {
  PoolCommands commands;
  if (draining_) return commands;
  draining_ = true;
  drain_deadline_ns_ = now_ns + grace_ns;
  ack_wait_ns_ = ack_wait_ns;
  if (outstanding_ == 0) idle_since_ns_ = now_ns;
  commands.hand_back_queued = true;
  return commands;
}

PoolCommands WorkerSession::OnTick(int64_t now_ns) {
  PoolCommands commands;
  if (draining_ && !stop_running_sent_ && now_ns >= drain_deadline_ns_ && outstanding_ > 0) {
    stop_running_sent_ = true;
    commands.stop_running = true;
  }
  return commands;
}

bool WorkerSession::DrainFinished(int64_t now_ns) const {
  if (!draining_) return false;
  const bool flushed = outstanding_ == 0 && pending_.results_size() == 0 && unacked_.empty();
  if (flushed) return true;
  // Give up on the Acks `ack_wait` after the last lease ended (or after the
  // grace, if some never did): a coordinator that is gone cannot answer.
  const int64_t idle = idle_since_ns_ != 0 ? idle_since_ns_ : drain_deadline_ns_;
  return now_ns >= std::min(idle, drain_deadline_ns_) + ack_wait_ns_;
}

}  // namespace tminus
