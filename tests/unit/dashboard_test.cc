// The coordinator's HTTP side without sockets: the JSON API's shapes and
// status codes over a synthetic snapshot, the login and the roles, the JSON
// writer, and the metric registry's names and types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/study_series.h"
#include "coordinator/dashboard/api.h"
#include "coordinator/dashboard/history_recorder.h"
#include "coordinator/dashboard/json.h"
#include "coordinator/dashboard/metrics.h"
#include "coordinator/dashboard/router.h"
#include "tests/testing/fake_clock.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeActions final : public DashboardActions {
 public:
  absl::StatusOr<JobView> Cancel(JobId id) override {
    cancelled.push_back(id);
    if (id != 7) return absl::NotFoundError("job not found");
    JobView view;
    view.id = id;
    view.state = JobState::kCancelled;
    return view;
  }
  std::vector<JobId> cancelled;
};

std::shared_ptr<DashboardSnapshot> Snapshot() {
  auto snapshot = std::make_shared<DashboardSnapshot>();
  snapshot->totals.workers_connected = 1;
  WorkerView worker;
  worker.worker_id = "w<1>";
  worker.slots = 2;
  worker.chunks_running = 1;
  snapshot->workers.push_back(worker);
  for (JobId id : {8, 7}) {
    auto job = std::make_shared<JobSummary>();
    job->view.id = id;
    job->view.spec.n = 100;
    job->view.spec.name = "quote\" and \x01";
    job->view.state = id == 7 ? JobState::kRunning : JobState::kSucceeded;
    job->rate = 2.5;
    snapshot->jobs.push_back(job);
  }
  auto detail = std::make_shared<JobDetail>();
  detail->report.speedup = 1.5;
  detail->report.parallelism = 1.75;
  detail->timeline.rows.push_back({"w<1>", 0});
  detail->timeline.events.push_back({0, 3, 1, 1'000'000, 2'000'000, EventOutcome::kOk});
  snapshot->details[7] = detail;
  return snapshot;
}

HttpCall Get(const std::string& path) {
  HttpCall call;
  call.method = "GET";
  call.path = path;
  return call;
}

TEST(DashboardApiTest, ShapesOfTheJsonAnswers) {
  FakeActions actions;
  const auto snapshot = Snapshot();
  HttpReply cluster = HandleApi(Get("/api/v1/cluster"), *snapshot, actions);
  EXPECT_EQ(cluster.status, 200);
  EXPECT_THAT(cluster.body, HasSubstr(R"("workers_connected":1)"));
  EXPECT_THAT(cluster.body, HasSubstr(R"("worker_id":"w<1>","host":"","state":"connected")"));
  HttpReply jobs = HandleApi(Get("/api/v1/jobs"), *snapshot, actions);
  EXPECT_THAT(jobs.body, HasSubstr(R"({"jobs":[{"id":8,)"));
  EXPECT_THAT(jobs.body, HasSubstr(R"("name":"quote\" and \u0001")"));
  HttpCall active = Get("/api/v1/jobs");
  active.query.emplace("state", "active");
  EXPECT_THAT(HandleApi(active, *snapshot, actions).body, Not(HasSubstr(R"("id":8)")));
  HttpReply job = HandleApi(Get("/api/v1/jobs/7"), *snapshot, actions);
  EXPECT_EQ(job.status, 200);
  EXPECT_THAT(job.body, HasSubstr(R"("rate_series":[],"report":{"wall_s":0,)"));
  EXPECT_THAT(job.body, HasSubstr(R"("parallelism":1.75,)"));
  EXPECT_THAT(job.body, HasSubstr(R"("speedup":1.5,"efficiency":null,)")) << "none is null, not 0";
  HttpReply timeline = HandleApi(Get("/api/v1/jobs/7/timeline"), *snapshot, actions);
  EXPECT_THAT(timeline.body, HasSubstr(R"("events":[{"row":0,"chunk":3,"attempt":1,"start_s":0.001,"end_s":0.002,"outcome":"ok"}])"));
  EXPECT_THAT(HandleApi(Get("/api/v1/version"), *snapshot, actions).body, HasSubstr(R"("api":"v1")"));
}

TEST(DashboardApiTest, TheLiveViewsShapesAndAStudysJobsHiddenOnRequest) {
  FakeActions actions;
  auto snapshot = Snapshot();
  snapshot->generated_wall_ns = 100'000'000'000;
  auto study_job = std::make_shared<JobSummary>();
  study_job->view.id = 9;
  study_job->view.spec.labels[kStudyLabel] = "point";
  snapshot->jobs.insert(snapshot->jobs.begin(), study_job);
  auto history = std::make_shared<ClusterHistory>();
  history->cluster.push_back({99.0, 4e9, 1, 2});
  history->usage["w<1>"].push_back({99.0, 1.5, 1 << 20});
  history->stream.push_back({7, "w<1>", 1, 3, 98'500'000'000, 500'000'000, EventOutcome::kOk});
  history->stream.push_back({8, "gone", 0, 4, 98'750'000'000, 250'000'000, EventOutcome::kFailed});
  snapshot->history = history;

  HttpCall all = Get("/api/v1/jobs");
  EXPECT_THAT(HandleApi(all, *snapshot, actions).body, HasSubstr(R"("id":9,)"));
  all.query.emplace("hide_study", "1");
  EXPECT_THAT(HandleApi(all, *snapshot, actions).body, Not(HasSubstr(R"("id":9,)")));
  EXPECT_THAT(HandleApi(all, *snapshot, actions).body, HasSubstr(R"("id":8,)"));
  EXPECT_THAT(HandleApi(Get("/api/v1/jobs"), *snapshot, actions).body,
              HasSubstr(R"("labels":{"tminus.io/study":"point"},"study":true)"));

  EXPECT_THAT(HandleApi(Get("/api/v1/history"), *snapshot, actions).body,
              HasSubstr(R"("cluster":[[99,4e+09,1,2]])"));
  // Rows: both slots of the connected worker, and the slot of a worker gone
  // since; events name their row and job.
  const std::string stream = HandleApi(Get("/api/v1/stream"), *snapshot, actions).body;
  EXPECT_THAT(stream, HasSubstr(R"("rows":[{"worker_id":"gone","slot":0},{"worker_id":"w<1>","slot":0},{"worker_id":"w<1>","slot":1}])"));
  EXPECT_THAT(stream, HasSubstr(R"("events":[[2,7,3,98,98.5,"ok"],[0,8,4,98.5,98.75,"failed"]])"))
      << "start = end (when the result came) - the worker's duration";
  HttpCall one = Get("/api/v1/stream");
  one.query.emplace("worker", "w<1>");
  EXPECT_THAT(HandleApi(one, *snapshot, actions).body,
              HasSubstr(R"("rows":[{"worker_id":"w<1>","slot":0},{"worker_id":"w<1>","slot":1}],)"
                        R"("jobs":[{"id":7,"name":"quote\" and \u0001"}],"events":[[1,7,3,98,98.5,"ok"]])"));

  std::string worker = HandleApi(Get("/api/v1/workers/w<1>"), *snapshot, actions).body;
  EXPECT_THAT(worker, HasSubstr(R"("worker":{"worker_id":"w<1>")"));
  EXPECT_THAT(worker, HasSubstr(R"("usage_series":[[99,1.5,1048576]])"));
  EXPECT_THAT(worker, Not(HasSubstr(R"("usage":{)"))) << "no report in its view: none shown";
  WorkerView& reported = snapshot->workers[0];
  reported.usage_reported = true;
  reported.cpu_cores = 1.25;
  reported.usage.cpu_ns = 3'000'000'000;
  reported.usage.resident_bytes = 4096;
  reported.usage.threads = 7;
  worker = HandleApi(Get("/api/v1/workers/w<1>"), *snapshot, actions).body;
  EXPECT_THAT(worker, HasSubstr(R"("usage":{"cpu_cores":1.25,"cpu_s":3,"resident_bytes":4096,"threads":7,"open_fds":0})"));
  // A snapshot made by hand has no history: empty answers, not a crash.
  EXPECT_THAT(HandleApi(Get("/api/v1/history"), *Snapshot(), actions).body,
              HasSubstr(R"("cluster":[])"));
}

TEST(HistoryRecorderTest, RatesPerSecondUsageKeptPerWorkerAndAMinuteOfStream) {
  HistoryRecorder recorder;
  ClusterTotals totals;
  totals.slots_total = 2;
  totals.slots_busy = 2;
  WorkerView worker;
  worker.worker_id = "w";
  worker.usage_reported = true;
  worker.cpu_cores = 1.9;
  const int64_t t0 = 1'000'000'000'000;
  const int64_t m0 = 5'000'000'000;  // the monotonic clock, which paces it
  auto first = recorder.Record(t0, m0, 0, totals, {worker});
  ASSERT_EQ(first->cluster.size(), 1u);
  EXPECT_EQ(first->cluster[0].rate, 0) << "no second before the first sample";
  EXPECT_EQ(recorder.Record(t0 + 500'000'000, m0 + 500'000'000, 1'000, totals, {worker}), first)
      << "at most one new history a second";
  EXPECT_EQ(recorder.Record(t0 + 9'000'000'000, m0 + 900'000'000, 1'000, totals, {worker}), first)
      << "the wall clock set forward does not hurry it";
  recorder.AddStream({{1, "w", 0, 0, t0 - 70'000'000'000, 1'000, EventOutcome::kOk},
                      {1, "w", 0, 1, t0 + 1'000'000'000, 1'000, EventOutcome::kOk}});
  auto second = recorder.Record(t0 + 2'000'000'000, m0 + 2'000'000'000, 6'000'000'000, totals,
                                {worker});
  ASSERT_EQ(second->cluster.size(), 2u);
  EXPECT_DOUBLE_EQ(second->cluster[1].rate, 3e9);
  EXPECT_EQ(second->cluster[1].slots_busy, 2);
  ASSERT_EQ(second->usage.at("w").size(), 2u);
  EXPECT_DOUBLE_EQ(second->usage.at("w")[1].cpu_cores, 1.9);
  ASSERT_EQ(second->stream.size(), 1u) << "the attempt that ended over a minute ago is gone";
  EXPECT_EQ(second->stream[0].chunk, 1);
  auto third = recorder.Record(t0 + 3'000'000'000, m0 + 3'000'000'000, 6'000'000'000, totals, {});
  EXPECT_TRUE(third->usage.empty()) << "a forgotten worker's samples go with it";
}

// A study's points carry the `!` of tminus scale's table, decided where the
// CLI decides it (common/study_series.h).
TEST(DashboardApiTest, StudyPointsCarryTheTablesDoubtfulMarks) {
  FakeActions actions;
  auto snapshot = Snapshot();
  auto study = std::make_shared<StudyRecord>();
  const auto point = [](int64_t wall_min_ns, int64_t wall_max_ns, double efficiency,
                        std::optional<double> karp_flatt, double vs_calibration) {
    StudyPoint p;
    p.executor = "threads";
    p.wall_ns = 1'000'000'000;
    p.wall_min_ns = wall_min_ns;
    p.wall_max_ns = wall_max_ns;
    p.efficiency = efficiency;
    p.karp_flatt = karp_flatt;
    p.vs_calibration = vs_calibration;
    return p;
  };
  study->points = {point(950'000'000, 1'050'000'000, 0.95, 0.05, 0.97),  // clean
                   point(800'000'000, 1'300'000'000, 0.95, 0.05, 0.97),  // runs spread 50%
                   point(1'000'000'000, 1'000'000'000, 1.10, 0.05, 0),   // efficiency 110%
                   point(1'000'000'000, 1'000'000'000, 0.99, -0.01, 0),  // Karp-Flatt < 0
                   point(1'000'000'000, 1'000'000'000, 0.99, 0.01, 1.2)};  // above the ceiling
  snapshot->studies.push_back(study);
  const std::string body = HandleApi(Get("/api/v1/studies"), *snapshot, actions).body;
  std::vector<std::string> marks;
  for (size_t at = body.find("\"doubtful\""); at != std::string::npos;
       at = body.find("\"doubtful\"", at + 1)) {
    marks.push_back(body.substr(at, body.find('}', at) - at));
  }
  EXPECT_THAT(marks, ::testing::ElementsAre(R"("doubtful":false,"above_ceiling":false)",
                                            R"("doubtful":true,"above_ceiling":false)",
                                            R"("doubtful":true,"above_ceiling":false)",
                                            R"("doubtful":true,"above_ceiling":false)",
                                            R"("doubtful":true,"above_ceiling":true)"));
}

TEST(DashboardApiTest, BadRequestsGetTheRightStatusAndJson) {
  FakeActions actions;
  const auto snapshot = Snapshot();
  struct Case {
    std::string method, path, query_name, query_value;
    int status;
    std::string says;
  };
  const Case cases[] = {
      {"GET", "/api/v1/nope", "", "", 404, "no such path"},
      {"GET", "/api/v2/cluster", "", "", 404, "no such path"},
      {"GET", "/api/v1/jobs/abc", "", "", 400, "job id"},
      {"GET", "/api/v1/jobs/0", "", "", 400, "job id"},
      {"GET", "/api/v1/jobs/99999999999999999999999", "", "", 400, "job id"},
      {"GET", "/api/v1/jobs/8/timeline/x", "", "", 404, "no such path"},
      {"GET", "/api/v1/jobs/12", "", "", 404, "job 12 not found"},
      {"POST", "/api/v1/cluster", "", "", 405, "takes GET"},
      {"GET", "/api/v1/jobs/7/cancel", "", "", 405, "takes POST"},
      {"GET", "/api/v1/jobs", "limit", "0", 400, "limit"},
      {"GET", "/api/v1/jobs", "limit", "1e3", 400, "limit"},
      {"GET", "/api/v1/jobs", "state", "sleeping", 400, "state"},
      {"GET", "/api/v1/jobs", "hide_study", "yes", 400, "hide_study"},
      {"GET", "/api/v1/workers/nobody", "", "", 404, "worker 'nobody' not found"},
      {"POST", "/api/v1/workers/w<1>", "", "", 405, "takes GET"},
      {"POST", "/api/v1/stream", "", "", 405, "takes GET"},
  };
  for (const Case& c : cases) {
    HttpCall call = Get(c.path);
    call.method = c.method;
    if (!c.query_name.empty()) call.query.emplace(c.query_name, c.query_value);
    const HttpReply reply = HandleApi(call, *snapshot, actions);
    EXPECT_EQ(reply.status, c.status) << c.method << " " << c.path;
    EXPECT_THAT(reply.body, HasSubstr(c.says)) << c.path;
    EXPECT_THAT(reply.body, HasSubstr(R"({"error":{"status":)")) << c.path;
  }
  EXPECT_TRUE(actions.cancelled.empty());
}

TEST(DashboardApiTest, CancelNeedsPostAndNamesUnknownJobs) {
  FakeActions actions;
  const auto snapshot = Snapshot();
  HttpCall cancel = Get("/api/v1/jobs/7/cancel");
  cancel.method = "POST";
  HttpReply done = HandleApi(cancel, *snapshot, actions);
  EXPECT_EQ(done.status, 200);
  EXPECT_THAT(done.body, HasSubstr(R"("state":"cancelled")"));
  cancel.path = "/api/v1/jobs/5/cancel";
  EXPECT_EQ(HandleApi(cancel, *snapshot, actions).status, 404);
}

class DashboardRouterTest : public ::testing::Test {
 protected:
  DashboardRouterTest() {
    std::ofstream(client_file_) << "client-token-0123456789\n";
    std::ofstream(worker_file_) << "worker-token-0123456789\n";
    tokens_ = *TokenSet::Load(client_file_, worker_file_, "");
    DashboardRouter::Sources sources;
    sources.snapshot = [this] { return snapshot_; };
    sources.metrics = [] { return std::string("tminus_ready 1\n"); };
    sources.actions = &actions_;
    router_ = std::make_unique<DashboardRouter>(&tokens_, sources, &clock_);
  }

  HttpCall Bearer(const std::string& path, const std::string& token) {
    HttpCall call = Get(path);
    call.headers["authorization"] = "Bearer " + token;
    return call;
  }

  // Per process: ctest runs this fixture's tests side by side.
  const std::string client_file_ = ::testing::TempDir() + "/client-" + std::to_string(getpid()) + ".tokens";
  const std::string worker_file_ = ::testing::TempDir() + "/worker-" + std::to_string(getpid()) + ".tokens";
  testing::FakeClock clock_;
  FakeActions actions_;
  std::shared_ptr<const DashboardSnapshot> snapshot_ = Snapshot();
  TokenSet tokens_;
  std::unique_ptr<DashboardRouter> router_;
};

TEST_F(DashboardRouterTest, RolesDecideWhoSeesWhat) {
  EXPECT_EQ(router_->Handle(Get("/api/v1/cluster")).status, 401);
  EXPECT_EQ(router_->Handle(Get("/metrics")).status, 401);
  EXPECT_EQ(router_->Handle(Bearer("/metrics", "worker-token-0123456789")).status, 403);
  EXPECT_EQ(router_->Handle(Bearer("/metrics", "nobody-0123456789")).status, 401);
  const HttpReply metrics = router_->Handle(Bearer("/metrics", "client-token-0123456789"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.content_type, HasSubstr("text/plain; version=0.0.4"));
  HttpCall lower_case = Get("/metrics");  // RFC 9110: the scheme is case-insensitive
  lower_case.headers["authorization"] = "bearer  client-token-0123456789";
  EXPECT_EQ(router_->Handle(lower_case).status, 200);
  EXPECT_EQ(router_->Handle(Get("/healthz")).status, 200);  // open
  EXPECT_EQ(router_->Handle(Get("/static/chart.umd.js")).status, 200);  // open, holds no data
  const HttpReply page = router_->Handle(Get("/"));
  EXPECT_EQ(page.status, 303);  // to the login
  EXPECT_EQ(router_->Handle(Get("/nothing-here")).status, 404);
}

TEST_F(DashboardRouterTest, LoginSetsAnHttpOnlyCookieThatWorksUntilLogout) {
  HttpCall login = Get("/login");
  login.method = "POST";
  login.headers["x-tminus-request"] = "1";  // the form's own page (RequestOrigin)
  login.body = "token=wrong-token-0123456789";
  HttpReply refused = router_->Handle(login);
  EXPECT_EQ(refused.status, 303);
  ASSERT_EQ(refused.headers.size(), 1u);  // only Location: no cookie
  login.body = "token=client%2Dtoken-0123456789";  // form-encoded
  HttpReply accepted = router_->Handle(login);
  ASSERT_EQ(accepted.status, 303);
  std::string cookie;
  for (const auto& [name, value] : accepted.headers) {
    if (name == "Set-Cookie") cookie = value;
  }
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  const std::string session = cookie.substr(0, cookie.find(';'));
  HttpCall with_cookie = Get("/api/v1/jobs");
  with_cookie.headers["cookie"] = "other=1; " + session;
  EXPECT_EQ(router_->Handle(with_cookie).status, 200);
  HttpCall cancel = with_cookie;
  cancel.method = "POST";
  cancel.path = "/api/v1/jobs/7/cancel";
  EXPECT_EQ(router_->Handle(cancel).status, 403);  // no X-Tminus-Request: another site's form
  cancel.headers["x-tminus-request"] = "1";
  EXPECT_EQ(router_->Handle(cancel).status, 200);
  HttpCall logout = with_cookie;
  logout.method = "POST";
  logout.path = "/logout";
  EXPECT_EQ(router_->Handle(logout).status, 403);  // another site's form cannot log us out
  logout.headers["x-tminus-request"] = "1";        // the page's script can
  EXPECT_EQ(router_->Handle(logout).status, 303);
  EXPECT_EQ(router_->Handle(with_cookie).status, 401);
  clock_.Advance(HttpSessions::kLifetimeNs);  // and sessions expire
}

TEST_F(DashboardRouterTest, SessionsExpire) {
  HttpCall login = Get("/login");
  login.method = "POST";
  login.headers["x-tminus-request"] = "1";  // the form's own page (RequestOrigin)
  login.body = "token=client-token-0123456789";
  const HttpReply accepted = router_->Handle(login);
  const std::string cookie = accepted.headers.back().second;
  HttpCall call = Get("/api/v1/jobs");
  call.headers["cookie"] = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(router_->Handle(call).status, 200);
  clock_.Advance(HttpSessions::kLifetimeNs + 1);
  EXPECT_EQ(router_->Handle(call).status, 401);
}

TEST(RequestOriginTest, HostNamesAndWhatMayChangeState) {
  EXPECT_EQ(RequestOrigin::HostName("Coord.Example.:7071"), "coord.example");
  EXPECT_EQ(RequestOrigin::HostName("[::1]:7071"), "::1");
  EXPECT_EQ(RequestOrigin::HostName("::1"), "::1");
  const RequestOrigin origin({"coord.example"});
  HttpCall call = Get("/api/v1/jobs");
  for (const char* host : {"", "127.0.0.1:1", "[::1]:1", "localhost", "coord.example:1"}) {
    call.headers["host"] = host;
    EXPECT_EQ(origin.Refusal(call), "") << host;
  }
  call.headers["host"] = "rebound.example:7071";
  EXPECT_NE(origin.Refusal(call), "");
  call.headers["host"] = "127.0.0.1:7071";
  call.method = "POST";
  EXPECT_NE(origin.Refusal(call), "");  // a form: no header a page chose
  call.headers["origin"] = "http://127.0.0.1:7071";
  EXPECT_EQ(origin.Refusal(call), "");  // the page's own form
  call.headers["origin"] = "http://evil.example";
  call.headers["x-tminus-request"] = "1";
  EXPECT_NE(origin.Refusal(call), "");  // a foreign Origin, whatever else
  call.headers.erase("origin");
  EXPECT_EQ(origin.Refusal(call), "");
}

TEST(JsonWriterTest, EscapesStringsAndKeepsNumbersFinite) {
  JsonWriter out;
  out.BeginObject().Field("s", std::string("a\"b\\c\n\x7f\xff")).Field("nan", 0.0 / 0.0);
  out.Field("big", int64_t{9'007'199'254'740'993}).Field("t", true).Key("e").BeginArray();
  out.EndArray().EndObject();
  EXPECT_EQ(out.text(),
            R"({"s":"a\"b\\c\u000a\u007f\ufffd","nan":0,"big":9007199254740993,"t":true,"e":[]})");
}

TEST(CoordinatorMetricsTest, NamesTypesAndValuesFollowTheSnapshot) {
  CoordinatorMetrics metrics;
  DashboardSnapshot snapshot;
  snapshot.counters.decrements = 1000;
  snapshot.counters.chunks_completed = 3;
  snapshot.counters.busy_ns = 3'000'000;
  snapshot.counters.jobs_succeeded = 1;
  snapshot.totals.workers_connected = 2;
  for (double bound : CoordinatorMetrics::ChunkBuckets()) {
    snapshot.chunk_seconds_buckets.emplace_back(bound, bound >= 1e-3 ? 3 : 0);
  }
  metrics.Update(snapshot);
  snapshot.counters.decrements = 1500;
  metrics.Update(snapshot);
  metrics.ObserveCommit(0.002, false);
  metrics.ObserveCommit(0.5, true);
  metrics.ObserveRpc("/tminus.v1.JobService/SubmitJob", "OK", 0.001);
  const std::string text = metrics.Text();
  EXPECT_THAT(text, HasSubstr("# TYPE tminus_decrements_total counter\ntminus_decrements_total 1500"));
  EXPECT_THAT(text, HasSubstr("# TYPE tminus_workers_connected gauge\ntminus_workers_connected 2"));
  EXPECT_THAT(text, HasSubstr("tminus_jobs_finished_total{state=\"succeeded\"} 1"));
  EXPECT_THAT(text, HasSubstr("tminus_chunk_duration_seconds_bucket{le=\"0.001\"} 3"));
  EXPECT_THAT(text, HasSubstr("tminus_chunk_duration_seconds_count 3"));
  EXPECT_THAT(text, HasSubstr("tminus_store_commit_duration_seconds_count 2"));
  EXPECT_THAT(text, HasSubstr("tminus_store_commit_failures_total 1"));
  EXPECT_THAT(text, HasSubstr(
      "tminus_rpc_duration_seconds_count{code=\"OK\",method=\"/tminus.v1.JobService/SubmitJob\"} 1"));
}

}  // namespace
}  // namespace tminus
