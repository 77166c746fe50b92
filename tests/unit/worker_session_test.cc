// The worker's session core, driven by hand: streams that start and end,
// messages from the coordinator, results from the slots, and a clock.
#include "worker/worker_session.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace tminus {
namespace {

constexpr int64_t kMs = 1'000'000;

WorkerSessionOptions Options(int slots = 2, int prefetch = 1) {
  WorkerSessionOptions options;
  options.identity.worker_id = "w";
  options.identity.host = "h";
  options.identity.slots = slots;
  options.identity.incarnation = 7;
  options.identity.threads = options.identity.processes = true;
  options.prefetch = prefetch;
  return options;
}

v1::CoordinatorMessage Welcome(int64_t heartbeat_ms = 1'000) {
  v1::CoordinatorMessage m;
  m.mutable_welcome()->set_heartbeat_interval_ms(heartbeat_ms);
  return m;
}

v1::CoordinatorMessage Assign(uint64_t job, std::vector<int64_t> chunks, int32_t attempt = 1) {
  v1::CoordinatorMessage m;
  for (int64_t chunk : chunks) {
    v1::Lease* lease = m.mutable_assign()->add_leases();
    lease->set_job_id(job);
    lease->set_chunk(chunk);
    lease->set_attempt(attempt);
    lease->set_count(100);
    lease->set_executor(v1::EXECUTOR_THREADS);
  }
  return m;
}

v1::CoordinatorMessage Ack(uint64_t seq) {
  v1::CoordinatorMessage m;
  m.mutable_ack()->set_up_to_seq(seq);
  return m;
}

RunResult Done(uint64_t job, int64_t chunk, RunOutcome outcome = RunOutcome::kOk) {
  RunResult r;
  r.job = job;
  r.chunk = chunk;
  r.attempt = 1;
  r.outcome = outcome;
  r.decrements = outcome == RunOutcome::kOk ? 100 : 0;
  r.start_mono_ns = 10;
  r.end_mono_ns = 1'010;
  return r;
}

// A core with a live, welcomed stream, the Hello and first Credit taken.
class WorkerSessionTest : public ::testing::Test {
 protected:
  explicit WorkerSessionTest(WorkerSessionOptions options = Options()) : core_(options) {}

  uint64_t Connect() {
    const uint64_t epoch = core_.OnStreamStarted(now_);
    auto hello = core_.TakeOutgoing(now_);
    EXPECT_TRUE(hello != nullptr && hello->has_hello());
    EXPECT_EQ(core_.TakeOutgoing(now_), nullptr);  // nothing before the Welcome
    core_.OnMessage(Welcome(), now_);
    return epoch;
  }
  // Every message the core has to write now.
  std::vector<v1::WorkerMessage> Drain() {
    std::vector<v1::WorkerMessage> out;
    while (auto message = core_.TakeOutgoing(now_)) out.push_back(*message);
    return out;
  }

  WorkerSession core_;
  int64_t now_ = 1'000 * kMs;
};

TEST_F(WorkerSessionTest, HelloThenCreditsForSlotsPlusPrefetch) {
  Connect();
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_credit());
  EXPECT_EQ(out[0].credit().credits(), 3);
  EXPECT_EQ(core_.granted(), 3);
}

TEST_F(WorkerSessionTest, ResultsReturnTheirCreditsInOneBatch) {
  Connect();
  Drain();
  const PoolCommands run = core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  EXPECT_EQ(run.run.size(), 3u);
  EXPECT_EQ(core_.outstanding(), 3);
  for (int64_t chunk : {0, 1}) core_.OnSlotResult(core_.epoch(), Done(1, chunk), now_);
  // Chunk 2 still runs: the results (and the credits they free) wait for
  // more, up to the delay.
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + WorkerSession::kMinResultDelayNs);
  now_ += WorkerSession::kMinResultDelayNs;
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_results());
  EXPECT_EQ(out[0].results().results_size(), 2);
  EXPECT_EQ(out[0].results().credits(), 2);
  EXPECT_EQ(out[0].results().seq(), 1u);
}

TEST_F(WorkerSessionTest, AnIdleWorkerSendsItsResultsAtOnce) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1}), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  EXPECT_TRUE(Drain().empty());  // chunk 1 still runs
  core_.OnSlotResult(core_.epoch(), Done(1, 1), now_ + 1'000);
  now_ += 1'000;  // well before the delay: nothing else runs or waits here
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].results().results_size(), 2);
}

TEST_F(WorkerSessionTest, AFullBatchGoesWithoutWaiting) {
  Connect();
  Drain();
  std::vector<int64_t> chunks(WorkerSession::kMaxResultBatch + 1);
  for (size_t i = 0; i < chunks.size(); ++i) chunks[i] = static_cast<int64_t>(i);
  core_.OnMessage(Assign(1, chunks), now_);
  for (int i = 0; i < WorkerSession::kMaxResultBatch; ++i) {
    EXPECT_TRUE(i == 0 || !core_.HasOutgoing(now_)) << i;
    core_.OnSlotResult(core_.epoch(), Done(1, i), now_);
  }
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].results().results_size(), WorkerSession::kMaxResultBatch);
}

TEST_F(WorkerSessionTest, UnfinishedResultsThatWaitedAreNotOfferedToTheNextSession) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 0, RunOutcome::kCancelled), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 1), now_);  // both wait: chunk 2 runs
  core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  Connect();
  now_ += WorkerSession::kMinResultDelayNs;
  std::vector<int64_t> offered;
  for (const auto& message : Drain()) {
    for (const auto& result : message.results().results()) offered.push_back(result.chunk());
  }
  EXPECT_EQ(offered, (std::vector<int64_t>{1}));  // the finished one only
}

TEST_F(WorkerSessionTest, LongChunksWaitOnePercentOfTheirDurationAtMostTenMs) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  RunResult long_one = Done(1, 0);
  long_one.end_mono_ns = long_one.start_mono_ns + 100 * kMs;  // a 100 ms chunk: wait 1 ms
  core_.OnSlotResult(core_.epoch(), long_one, now_);
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + 1 * kMs);
  now_ += 1 * kMs;
  ASSERT_EQ(Drain().size(), 1u);
  RunResult longer = Done(1, 1);
  longer.end_mono_ns = longer.start_mono_ns + 100'000 * kMs;  // 100 s: capped at 10 ms
  core_.OnSlotResult(core_.epoch(), longer, now_);
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + WorkerSession::kMaxResultDelayNs);
}

// Issue 23: a result need not travel before its credit is needed.
class HoldingSessionTest : public WorkerSessionTest {
 protected:
  HoldingSessionTest() : WorkerSessionTest(Options(/*slots=*/2, /*prefetch=*/8)) {}
  // A 1 ms chunk: 200 us on 2 slots gathers less than a full enough batch.
  static RunResult Done(uint64_t job, int64_t chunk) {
    RunResult r = ::tminus::Done(job, chunk);
    r.end_mono_ns = r.start_mono_ns + kMs;
    return r;
  }
  // A live session, and chunks 0 .. count-1 of job 1 leased to it.
  void ConnectWithChunks(int64_t count) {
    Connect();
    Drain();
    std::vector<int64_t> chunks(count);
    for (int64_t i = 0; i < count; ++i) chunks[i] = i;
    core_.OnMessage(Assign(1, chunks), now_);
  }
};

TEST_F(HoldingSessionTest, ResultsWaitWhileMoreThanHalfThePrefetchIsQueuedThenGoWithTheCredits) {
  ConnectWithChunks(10);  // 2 running, 8 queued
  for (int64_t i = 0; i < 3; ++i) core_.OnSlotResult(core_.epoch(), Done(1, i), now_);
  // 7 leases left here, more than 2 slots + half of 8: hold, up to 10 ms.
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + WorkerSession::kMaxResultDelayNs);
  now_ += WorkerSession::kMinResultDelayNs;
  EXPECT_EQ(core_.TakeOutgoing(now_), nullptr) << "held: the queue covers the round trip";
  core_.OnSlotResult(core_.epoch(), Done(1, 3), now_);  // 6 left: half the prefetch is used
  auto batch = core_.TakeOutgoing(now_);
  ASSERT_TRUE(batch != nullptr && batch->has_results());
  EXPECT_EQ(batch->results().results_size(), 4);
  EXPECT_EQ(batch->results().credits(), 4) << "the credits ride with the results";
  // Held results never wait past the cap, whatever is queued.
  core_.OnMessage(Assign(1, {10, 11, 12, 13}), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 4), now_);
  now_ += WorkerSession::kMaxResultDelayNs - 1;
  EXPECT_EQ(core_.TakeOutgoing(now_), nullptr);
  now_ += 1;
  ASSERT_TRUE(core_.TakeOutgoing(now_)->has_results());
}

TEST_F(HoldingSessionTest, AJobsLastResultHereGoesAtOnceAsDoesAnIdleWorkers) {
  ConnectWithChunks(9);
  core_.OnMessage(Assign(2, {0}), now_);  // job 2's only lease here
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  EXPECT_EQ(core_.TakeOutgoing(now_), nullptr) << "job 1 goes on here: held";
  core_.OnSlotResult(core_.epoch(), Done(2, 0), now_);
  auto batch = core_.TakeOutgoing(now_);
  ASSERT_TRUE(batch != nullptr && batch->has_results()) << "job 2 may be waiting on its last chunk";
  EXPECT_EQ(batch->results().results_size(), 2);
  for (int64_t i = 1; i < 8; ++i) core_.OnSlotResult(core_.epoch(), Done(1, i), now_);
  Drain();
  core_.OnSlotResult(core_.epoch(), Done(1, 8), now_);  // the worker runs dry
  ASSERT_TRUE(core_.TakeOutgoing(now_)->has_results());
}

TEST_F(HoldingSessionTest, ChunksShortEnoughToFillBatchesAnywayAreNotHeld) {
  ConnectWithChunks(10);
  // 1 us chunks: 200 us gathers hundreds on 2 slots; holding would only
  // make bursts.
  core_.OnSlotResult(core_.epoch(), ::tminus::Done(1, 0), now_);
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + WorkerSession::kMinResultDelayNs);
}

TEST_F(WorkerSessionTest, AFailedWriteLosesNoBatch) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0}), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  auto batch = core_.TakeOutgoing(now_);  // staged; its write then fails
  ASSERT_TRUE(batch != nullptr && batch->has_results());
  EXPECT_EQ(core_.unacked_batches(), 1u);
  core_.OnStreamEnded(absl::UnavailableError("write failed"), now_);
  Connect();
  const auto out = Drain();
  ASSERT_GE(out.size(), 1u);
  ASSERT_TRUE(out[0].has_results());  // the same batch again, first, without credits
  EXPECT_EQ(out[0].results().seq(), batch->results().seq());
  EXPECT_EQ(out[0].results().credits(), 0);
  EXPECT_EQ(out[0].results().results(0).chunk(), 0);
}

TEST_F(WorkerSessionTest, AnAckThatArrivesBeforeTheWriteReturnsIsNotMissed) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0}), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  auto batch = core_.TakeOutgoing(now_);  // the writer holds it, still writing...
  core_.OnMessage(Ack(batch->results().seq()), now_);  // ...when the Ack comes in
  EXPECT_EQ(core_.unacked_batches(), 0u);
  EXPECT_EQ(core_.unacked_results(), 0);
  core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  Connect();
  for (const auto& message : Drain()) EXPECT_FALSE(message.has_results());  // nothing resent
}

TEST_F(WorkerSessionTest, EveryUnackedBatchIsResentInOrderAfterAReconnect) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  for (int64_t chunk : {0, 1, 2}) {
    core_.OnSlotResult(core_.epoch(), Done(1, chunk), now_);
    now_ += WorkerSession::kMinResultDelayNs;  // one batch each
    Drain();
  }
  core_.OnMessage(Ack(1), now_);
  core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  Connect();
  std::vector<uint64_t> resent;
  for (const auto& message : Drain()) {
    if (message.has_results()) resent.push_back(message.results().seq());
  }
  EXPECT_EQ(resent, (std::vector<uint64_t>{2, 3}));
}

TEST_F(WorkerSessionTest, RunningLeasesOutliveTheSessionAndOnlyFinishedWorkIsOffered) {
  const uint64_t first = Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  const StreamVerdict verdict = core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  EXPECT_FALSE(verdict.stop);
  EXPECT_EQ(verdict.pool.drop_queued_before, first + 1);  // queued ones come back unrun
  core_.OnSlotResult(first, Done(1, 2, RunOutcome::kCancelled), now_);  // a queued one
  Connect();
  // Two still run: the new session grants only what is free.
  const auto credit = Drain();
  ASSERT_EQ(credit.size(), 1u);
  EXPECT_EQ(credit[0].credit().credits(), 1);
  core_.OnSlotResult(first, Done(1, 0), now_);
  now_ += WorkerSession::kMinResultDelayNs;
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].results().results_size(), 1);  // the finished one, not the handed-back one
  EXPECT_EQ(out[0].results().results(0).chunk(), 0);
  EXPECT_EQ(out[0].results().credits(), 1);  // its slot is free again
}

TEST_F(WorkerSessionTest, TheCoordinatorsRefusalsStopTheWorkerAndOtherEndsReconnect) {
  for (auto code : {absl::StatusCode::kUnauthenticated, absl::StatusCode::kPermissionDenied,
                    absl::StatusCode::kAlreadyExists, absl::StatusCode::kInvalidArgument,
                    absl::StatusCode::kAborted, absl::StatusCode::kFailedPrecondition}) {
    WorkerSession core(Options());
    core.OnStreamStarted(now_);
    const StreamVerdict verdict = core.OnStreamEnded(absl::Status(code, "because"), now_);
    EXPECT_TRUE(verdict.stop) << code;
    EXPECT_NE(verdict.message.find(absl::StatusCodeToString(code)), std::string::npos)
        << verdict.message;
    EXPECT_NE(verdict.message.find("because"), std::string::npos);
  }
  for (auto code : {absl::StatusCode::kUnavailable, absl::StatusCode::kCancelled,
                    absl::StatusCode::kResourceExhausted, absl::StatusCode::kDeadlineExceeded,
                    absl::StatusCode::kInternal, absl::StatusCode::kOk}) {
    WorkerSession core(Options());
    core.OnStreamStarted(now_);
    const StreamVerdict verdict = core.OnStreamEnded(absl::Status(code, "x"), now_);
    EXPECT_FALSE(verdict.stop) << code;
    EXPECT_GT(verdict.reconnect_after_ns, 0) << code;  // never welcomed: back off
  }
}

TEST_F(WorkerSessionTest, AWelcomedSessionReconnectsAtOnceAndFailuresBackOffUpToTheCap) {
  Connect();
  EXPECT_EQ(core_.OnStreamEnded(absl::UnavailableError("restart"), now_).reconnect_after_ns, 0);
  int64_t last = 0;
  for (int i = 0; i < 12; ++i) {
    core_.OnStreamStarted(now_);
    last = core_.OnStreamEnded(absl::UnavailableError("refused"), now_).reconnect_after_ns;
  }
  EXPECT_GT(last, 0);
  EXPECT_LE(last, Options().max_backoff_ns);
  core_.OnStreamStarted(now_);
  EXPECT_GE(core_.OnStreamEnded(absl::ResourceExhaustedError("sessions"), now_).reconnect_after_ns,
            1'000 * kMs);
}

TEST_F(WorkerSessionTest, NoCreditWhileTooManyResultsAwaitTheirAck) {
  WorkerSessionOptions options = Options(1, 0);
  options.max_unacked_results = 2;
  WorkerSession core(options);
  core.OnStreamStarted(now_);
  core.TakeOutgoing(now_);
  core.OnMessage(Welcome(), now_);
  EXPECT_EQ(core.TakeOutgoing(now_)->credit().credits(), 1);
  for (int64_t chunk = 0; chunk < 2; ++chunk) {
    core.OnMessage(Assign(1, {chunk}), now_);
    core.OnSlotResult(core.epoch(), Done(1, chunk), now_);
    auto batch = core.TakeOutgoing(now_);
    EXPECT_EQ(batch->results().credits(), chunk == 0 ? 1 : 0) << chunk;
  }
  EXPECT_EQ(core.TakeOutgoing(now_), nullptr);  // bound reached: no Credit either
  core.OnMessage(Ack(2), now_);
  auto credit = core.TakeOutgoing(now_);
  ASSERT_TRUE(credit != nullptr && credit->has_credit());  // work again after the Acks
  EXPECT_EQ(credit->credit().credits(), 1);
}

TEST_F(WorkerSessionTest, HeartbeatOnlyAfterAQuietInterval) {
  Connect();
  Drain();
  now_ += 999 * kMs;
  EXPECT_EQ(core_.TakeOutgoing(now_), nullptr);
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + kMs);
  now_ += kMs;
  auto beat = core_.TakeOutgoing(now_);
  ASSERT_TRUE(beat != nullptr && beat->has_heartbeat());
}

TEST_F(WorkerSessionTest, DrainHandsBackWaitsForRunningThenForTheLastAck) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0, 1, 2}), now_);
  const PoolCommands hand_back = core_.StartDrain(now_, 30'000 * kMs, 5'000 * kMs);
  EXPECT_TRUE(hand_back.hand_back_queued);
  auto draining = core_.TakeOutgoing(now_);
  ASSERT_TRUE(draining != nullptr && draining->has_draining());
  core_.OnSlotResult(core_.epoch(), Done(1, 2, RunOutcome::kCancelled), now_);  // queued
  // An Assign that crossed the Draining message goes straight back.
  EXPECT_TRUE(core_.OnMessage(Assign(1, {3}), now_).run.empty());
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 1), now_);
  const auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].results().results_size(), 4);
  EXPECT_EQ(out[0].results().credits(), 0);
  EXPECT_FALSE(core_.DrainFinished(now_));  // not yet acknowledged
  core_.OnMessage(Ack(out[0].results().seq()), now_);
  EXPECT_TRUE(core_.DrainFinished(now_));
}

TEST_F(WorkerSessionTest, DrainStopsRunningChunksAfterTheGraceAndGivesUpOnAcksLater) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0}), now_);
  core_.StartDrain(now_, 100 * kMs, 500 * kMs);
  EXPECT_FALSE(core_.OnTick(now_ + 99 * kMs).stop_running);
  EXPECT_TRUE(core_.OnTick(now_ + 100 * kMs).stop_running);
  EXPECT_FALSE(core_.OnTick(now_ + 101 * kMs).stop_running);  // once
  // It finished just as it was stopped: a result worth sending, and no
  // coordinator to take it.
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_ + 150 * kMs);
  core_.OnStreamEnded(absl::UnavailableError("coordinator gone"), now_ + 200 * kMs);
  EXPECT_FALSE(core_.DrainFinished(now_ + 599 * kMs));
  EXPECT_TRUE(core_.DrainFinished(now_ + 600 * kMs));  // grace + ack wait
}

TEST_F(WorkerSessionTest, ADrainWithOnlyUnfinishedWorkLeftEndsWithTheSession) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0}), now_);
  core_.StartDrain(now_, 100 * kMs, 500 * kMs);
  core_.OnSlotResult(core_.epoch(), Done(1, 0, RunOutcome::kCancelled), now_ + 150 * kMs);
  core_.OnStreamEnded(absl::UnavailableError("coordinator gone"), now_ + 200 * kMs);
  // The coordinator released the lease with the session: nothing to wait for.
  EXPECT_TRUE(core_.DrainFinished(now_ + 200 * kMs));
}

TEST_F(WorkerSessionTest, ReconnectingDuringADrainSendsDrainingAndNoCredits) {
  Connect();
  Drain();
  core_.OnMessage(Assign(1, {0}), now_);
  core_.StartDrain(now_, 30'000 * kMs, 5'000 * kMs);
  core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  core_.OnSlotResult(core_.epoch(), Done(1, 0), now_);
  Connect();
  const auto out = Drain();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].has_draining());
  EXPECT_EQ(out[1].results().credits(), 0);
  EXPECT_EQ(out[1].results().results(0).chunk(), 0);
}

TEST_F(WorkerSessionTest, RunningGoesOutWhenItChangesAtMostEveryFiftyMsAndNoneIsAReportToo) {
  Connect();
  Drain();
  core_.OnRunning({{7, 2}}, now_);
  auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_running());
  EXPECT_EQ(out[0].running().jobs(0).chunks(), 2);
  core_.OnRunning({{7, 2}}, now_);
  EXPECT_TRUE(Drain().empty()) << "unchanged";
  core_.OnRunning({}, now_ + kMs);
  EXPECT_TRUE(Drain().empty()) << "changed, but within 50 ms of the last";
  EXPECT_EQ(core_.NextDeadlineNs(), now_ + WorkerSession::kRunningReportNs);
  now_ += WorkerSession::kRunningReportNs;
  out = Drain();
  ASSERT_EQ(out.size(), 1u);
  // An empty report must still be a Running message, not an empty one (the
  // coordinator ends a session that sends a message of no kind).
  EXPECT_EQ(out[0].msg_case(), v1::WorkerMessage::kRunning);
  EXPECT_EQ(out[0].running().jobs_size(), 0);
}

TEST_F(WorkerSessionTest, ACalibrationGoesOutOnceAndWithTheNextHello) {
  Connect();
  Drain();
  Calibration c;
  c.rate = c.min_rate = c.max_rate = 3e9;
  c.samples = 5;
  c.cpu_share = 1;
  core_.OnCalibration(c, now_);
  auto out = Drain();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].has_calibration());
  EXPECT_EQ(out[0].calibration().decrements_per_second(), 3e9);
  core_.OnStreamEnded(absl::UnavailableError("gone"), now_);
  now_ += 5'000 * kMs;
  core_.OnStreamStarted(now_);
  auto hello = core_.TakeOutgoing(now_);
  ASSERT_TRUE(hello->hello().has_calibration());
  EXPECT_EQ(hello->hello().calibration().age_ms(), 5'000) << "its age when sent";
}

TEST(WorkerSessionUsageTest, UsageGoesOutAsOftenAsTheWelcomeAsksWhileLiveAndOnlyThen) {
  int64_t cpu_ns = 0;
  WorkerSessionOptions options = Options();
  options.read_usage = [&cpu_ns] {
    ProcessUsage usage;
    usage.cpu_ns = cpu_ns;
    usage.resident_bytes = 7 << 20;
    usage.threads = 5;
    return usage;
  };
  WorkerSession core(options);
  int64_t now = 1'000 * kMs;
  core.OnStreamStarted(now);
  ASSERT_TRUE(core.TakeOutgoing(now)->has_hello());
  EXPECT_EQ(core.TakeOutgoing(now), nullptr) << "nothing before the Welcome";
  v1::CoordinatorMessage welcome = Welcome(60'000);
  welcome.mutable_welcome()->set_usage_report_ms(1'000);
  core.OnMessage(welcome, now);
  std::vector<v1::WorkerMessage> out;
  while (auto message = core.TakeOutgoing(now)) out.push_back(*message);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].has_credit());
  ASSERT_TRUE(out[1].has_usage()) << "the first report at once";
  EXPECT_EQ(out[1].usage().resident_bytes(), 7 << 20);
  EXPECT_EQ(out[1].usage().threads(), 5);
  EXPECT_EQ(core.NextDeadlineNs(), now + 1'000 * kMs);
  cpu_ns = 900 * kMs;
  now += 1'000 * kMs - 1;
  EXPECT_EQ(core.TakeOutgoing(now), nullptr);
  now += 1;
  auto report = core.TakeOutgoing(now);
  ASSERT_TRUE(report != nullptr && report->has_usage());
  EXPECT_EQ(report->usage().cpu_ns(), 900 * kMs);

  core.OnStreamEnded(absl::UnavailableError("gone"), now);
  EXPECT_EQ(core.TakeOutgoing(now + 5'000 * kMs), nullptr) << "none without a stream";
  // A coordinator that asks for none (one from before usage reports, which
  // would end the session over one) gets none, and no deadline for them.
  now += 5'000 * kMs;
  core.OnStreamStarted(now);
  core.TakeOutgoing(now);
  core.OnMessage(Welcome(60'000), now);
  while (auto message = core.TakeOutgoing(now)) EXPECT_FALSE(message->has_usage());
  EXPECT_EQ(core.NextDeadlineNs(), now + 60'000 * kMs);

  WorkerSession silent(Options());  // no reader: no reports, whatever is asked
  silent.OnStreamStarted(now);
  silent.TakeOutgoing(now);
  silent.OnMessage(welcome, now);
  while (auto message = silent.TakeOutgoing(now)) EXPECT_FALSE(message->has_usage());
  EXPECT_EQ(silent.NextDeadlineNs(), now + 60'000 * kMs);
}

}  // namespace
}  // namespace tminus

namespace tminus {
namespace {

v1::CoordinatorMessage PythonAssign(uint64_t job, std::vector<int64_t> chunks, bool define) {
  v1::CoordinatorMessage m = Assign(job, chunks);
  for (v1::Lease& lease : *m.mutable_assign()->mutable_leases()) {
    lease.set_kernel(v1::KERNEL_KIND_PYTHON);
    lease.set_begin(lease.chunk() * 100);
  }
  if (define) {
    v1::JobKernel* kernel = m.mutable_assign()->add_kernels();
    kernel->set_job_id(job);
    kernel->mutable_kernel()->mutable_python()->set_source("def f(s, c):\n    return c\n");
    kernel->mutable_kernel()->mutable_python()->set_function("f");
  }
  return m;
}

WorkerSessionOptions PythonWorker() {
  WorkerSessionOptions options = Options();
  options.identity.kernels = KernelBit(KernelKind::kCountdown) | KernelBit(KernelKind::kPython);
  return options;
}

class KernelSessionTest : public WorkerSessionTest {
 protected:
  KernelSessionTest() : WorkerSessionTest(PythonWorker()) {}
};

// The failed results the core answered itself, by chunk.
std::vector<std::string> FailedAtOnce(const std::vector<v1::WorkerMessage>& out) {
  std::vector<std::string> errors;
  for (const v1::WorkerMessage& message : out) {
    for (const v1::ChunkResult& r : message.results().results()) {
      if (r.outcome() == v1::CHUNK_OUTCOME_FAILED) errors.push_back(r.error());
    }
  }
  return errors;
}

TEST_F(KernelSessionTest, TheHelloNamesTheAllowedKernelsAndLeasesCarryTheirDefinition) {
  const uint64_t epoch = core_.OnStreamStarted(now_);
  (void)epoch;
  auto hello = core_.TakeOutgoing(now_);
  ASSERT_TRUE(hello != nullptr && hello->has_hello());
  ASSERT_EQ(hello->hello().kernels_size(), 1);
  EXPECT_EQ(hello->hello().kernels(0), v1::KERNEL_KIND_PYTHON);
  core_.OnMessage(Welcome(), now_);
  Drain();
  const PoolCommands first = core_.OnMessage(PythonAssign(4, {0, 1}, /*define=*/true), now_);
  ASSERT_EQ(first.run.size(), 2u);
  ASSERT_NE(first.run[1].kernel, nullptr);
  EXPECT_EQ(first.run[1].kernel->function, "f");
  EXPECT_EQ(first.run[1].begin, 100);
  // Later leases of the job need no second definition.
  const PoolCommands later = core_.OnMessage(PythonAssign(4, {2}, /*define=*/false), now_);
  ASSERT_EQ(later.run.size(), 1u);
  EXPECT_EQ(later.run[0].kernel, first.run[0].kernel);
}

TEST_F(KernelSessionTest, ALeaseWithoutItsDefinitionFailsAtOnceAndAForgetDropsIt) {
  Connect();
  Drain();
  EXPECT_TRUE(core_.OnMessage(PythonAssign(5, {0}, /*define=*/false), now_).run.empty());
  core_.OnMessage(PythonAssign(6, {0}, /*define=*/true), now_);
  v1::CoordinatorMessage forget;
  forget.mutable_forget()->add_job_ids(6);
  core_.OnMessage(forget, now_);
  EXPECT_TRUE(core_.OnMessage(PythonAssign(6, {1}, /*define=*/false), now_).run.empty());
  now_ += WorkerSession::kMaxResultDelayNs;
  const std::vector<std::string> errors = FailedAtOnce(Drain());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "no definition of job 5's python kernel came before its lease");
}

TEST_F(WorkerSessionTest, AKernelThisWorkerDoesNotAllowNeverReachesItsSlots) {
  Connect();
  Drain();
  EXPECT_TRUE(core_.OnMessage(PythonAssign(7, {0}, /*define=*/true), now_).run.empty());
  now_ += WorkerSession::kMaxResultDelayNs;
  const std::vector<std::string> errors = FailedAtOnce(Drain());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            "the python kernel is not allowed on this worker (start it with --allow-kernels python)");
}

}  // namespace
}  // namespace tminus
