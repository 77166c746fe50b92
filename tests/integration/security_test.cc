// Tokens with roles and TLS / mutual TLS against a real coordinator on
// 127.0.0.1:0, with a throwaway CA and certificates made by openssl.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/rpc.h"
#include "common/security.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/wait.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus::testing {
namespace {

const std::string kClientToken = "client-token-0123456789abcdef";
const std::string kWorkerToken = "worker-token-0123456789abcdef";
const std::string kAdminToken = "admin-token-0123456789abcdef";

std::string Dir() { return absl::StrCat(::testing::TempDir(), "tminus-security-", getpid()); }
void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A CA, a server certificate for 127.0.0.1, a client certificate, and a
// second CA that signed neither.
void MakeCertificates() {
  const std::string d = Dir();
  Write(d + "/san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script = absl::StrCat(
      "set -e; cd ", d, ";",
      "openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca;",
      "openssl req -x509 ", key, " -keyout other.key -out other.pem -days 2 -subj /CN=other-ca;",
      "openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost;",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-out server.pem -extfile san.ext;",
      "openssl req ", key, " -keyout client.key -out client.csr -subj /CN=test-client;",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-out client.pem");
  ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0);
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(std::system(("rm -rf " + Dir() + " && mkdir -p " + Dir()).c_str()), 0);
    MakeCertificates();
    Write(Dir() + "/client.tokens", "# rotated monthly\nold-client-token-0123456789\n" + kClientToken + "\n");
    Write(Dir() + "/worker.tokens", kWorkerToken + "\n");
    Write(Dir() + "/admin.tokens", kAdminToken + "\n");
  }

  void Start(bool tls, bool mutual) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    auto tokens = TokenSet::Load(Dir() + "/client.tokens", Dir() + "/worker.tokens",
                                 Dir() + "/admin.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    options.tokens = *tokens;
    if (tls) {
      auto server_tls = LoadServerTls(Dir() + "/server.pem", Dir() + "/server.key",
                                      mutual ? Dir() + "/ca.pem" : "");
      ASSERT_TRUE(server_tls.ok());
      options.tls = *server_tls;
    }
    auto server = CoordinatorServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::milliseconds(200));
  }

  ClientSecurity Security(const std::string& token, const std::string& ca = "",
                          bool client_cert = false) {
    ClientSecurity security;
    security.token = token;
    if (!ca.empty()) security.ca_pem = ReadFile(Dir() + "/" + ca);
    if (client_cert) {
      security.cert_pem = ReadFile(Dir() + "/client.pem");
      security.key_pem = ReadFile(Dir() + "/client.key");
    }
    return security;
  }

  absl::Status ListJobs(const ClientSecurity& security) {
    JobClient client(server_->address(), std::chrono::seconds(5), security);
    return client.List(10, "").status();
  }

  // Opens a worker session and says Hello; the stream's final status.
  absl::Status OpenSession(const ClientSecurity& security) {
    auto stub = v1::WorkerService::NewStub(MakeSecureChannel(server_->address(), security));
    grpc::ClientContext context;
    SetDeadline(&context, std::chrono::seconds(5));
    Authenticate(&context, security);
    auto stream = stub->Session(&context);
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id("probe");
    hello.mutable_hello()->set_incarnation(7);
  hello.mutable_hello()->set_host("test-host");
    hello.mutable_hello()->set_slots(1);
    hello.mutable_hello()->add_executors(v1::EXECUTOR_THREADS);
    stream->Write(hello);
    v1::CoordinatorMessage reply;
    if (stream->Read(&reply) && reply.has_welcome()) {
      context.TryCancel();
      stream->Finish();
      return absl::OkStatus();
    }
    return FromGrpcStatus(stream->Finish());
  }

  // A job through an in-process worker with `worker` credentials; exact?
  void RunExactJob(const ClientSecurity& client_security, const ClientSecurity& worker_security) {
    WorkerOptions options;
    options.coordinator = server_->address();
    options.worker_id = "secure-worker";
    options.slots = 2;
    options.processes = false;
    options.security = worker_security;
    SessionClient worker(options);
    std::thread serving([&] { worker.Run(); });
    JobClient client(server_->address(), std::chrono::seconds(10), client_security);
    v1::SubmitJobRequest request;
    request.mutable_spec()->set_n(100'000'007);
    request.mutable_spec()->set_chunk_count(10);
    request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
    auto job = client.Submit(request);
    ASSERT_TRUE(job.ok()) << job.status();
    auto last = client.Watch(job->id(), 100, [](const auto&) {});
    ASSERT_TRUE(last.ok()) << last.status();
    auto report = client.Report(job->id());
    ASSERT_TRUE(report.ok());
    ExpectExact(*report);
    worker.Stop();
    serving.join();
  }

  std::unique_ptr<CoordinatorServer> server_;
};

TEST_F(SecurityTest, TokensAndRolesOnAPlaintextServer) {
  Start(/*tls=*/false, /*mutual=*/false);
  EXPECT_THAT(ListJobs(Security("")), StatusIs(absl::StatusCode::kUnauthenticated, "missing token"));
  EXPECT_THAT(ListJobs(Security("not-a-token-0123456789")),
              StatusIs(absl::StatusCode::kUnauthenticated, "unknown token"));
  EXPECT_THAT(ListJobs(Security(kWorkerToken)),
              StatusIs(absl::StatusCode::kPermissionDenied, "worker token"));
  TMINUS_EXPECT_OK(ListJobs(Security(kClientToken)));
  TMINUS_EXPECT_OK(ListJobs(Security("old-client-token-0123456789")));  // rotation: both work
  TMINUS_EXPECT_OK(ListJobs(Security(kAdminToken)));
  EXPECT_THAT(OpenSession(Security("")), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(OpenSession(Security(kClientToken)),
              StatusIs(absl::StatusCode::kPermissionDenied, "client token"));
  TMINUS_EXPECT_OK(OpenSession(Security(kWorkerToken)));
  TMINUS_EXPECT_OK(OpenSession(Security(kAdminToken)));
  // Draining a worker takes an admin token; the "probe" worker is known now.
  EXPECT_THAT(JobClient(server_->address(), std::chrono::seconds(5), Security(kClientToken))
                  .DrainWorker("probe", false)
                  .status(),
              StatusIs(absl::StatusCode::kPermissionDenied, "admin token"));
  TMINUS_EXPECT_OK(JobClient(server_->address(), std::chrono::seconds(5), Security(kAdminToken))
                       .DrainWorker("probe", true)
                       .status());
  // Health stays open: probes carry no token.
  auto health = grpc::health::v1::Health::NewStub(MakeChannel(server_->address()));
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(&context, {}, &response).ok());
  RunExactJob(Security(kClientToken), Security(kWorkerToken));
}

TEST_F(SecurityTest, JobsThatRunClientCodeNeedAnAdminToken) {
  Start(/*tls=*/false, /*mutual=*/false);
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(1000);
  request.mutable_spec()->set_chunk_count(2);
  request.mutable_spec()->set_executor(v1::EXECUTOR_PROCESSES);
  request.mutable_spec()->mutable_kernel()->mutable_command()->add_argv("/bin/true");
  EXPECT_THAT(JobClient(server_->address(), std::chrono::seconds(5), Security(kClientToken))
                  .Submit(request)
                  .status(),
              StatusIs(absl::StatusCode::kPermissionDenied, "only admin tokens"));
  auto job = JobClient(server_->address(), std::chrono::seconds(5), Security(kAdminToken))
                 .Submit(request);
  TMINUS_EXPECT_OK(job.status());
  // A kernel of no kind this coordinator knows is never taken for the countdown.
  v1::SubmitJobRequest unknown = request;
  unknown.mutable_spec()->mutable_kernel()->Clear();
  EXPECT_THAT(JobClient(server_->address(), std::chrono::seconds(5), Security(kAdminToken))
                  .Submit(unknown)
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "kernel: set python or command"));
  // Readers see a python job's function, never its source.
  v1::SubmitJobRequest python = request;
  python.mutable_spec()->mutable_kernel()->mutable_python()->set_source("def f(s, c):\n    return c\n");
  python.mutable_spec()->mutable_kernel()->mutable_python()->set_function("f");
  auto submitted = JobClient(server_->address(), std::chrono::seconds(5), Security(kAdminToken))
                       .Submit(python);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto seen = JobClient(server_->address(), std::chrono::seconds(5), Security(kClientToken))
                  .Get(submitted->id());
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->spec().kernel().python().function(), "f");
  EXPECT_TRUE(seen->spec().kernel().python().source().empty());
  // The countdown needs no more than a client token.
  request.mutable_spec()->clear_kernel();
  TMINUS_EXPECT_OK(JobClient(server_->address(), std::chrono::seconds(5), Security(kClientToken))
                       .Submit(request)
                       .status());
}

TEST_F(SecurityTest, TlsNeedsTheRightCa) {
  Start(/*tls=*/true, /*mutual=*/false);
  EXPECT_THAT(ListJobs(Security(kClientToken)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ListJobs(Security(kClientToken, "other.pem")),
              StatusIs(absl::StatusCode::kUnavailable));
  TMINUS_EXPECT_OK(ListJobs(Security(kClientToken, "ca.pem")));
  RunExactJob(Security(kClientToken, "ca.pem"), Security(kWorkerToken, "ca.pem"));
}

TEST_F(SecurityTest, MutualTlsNeedsAClientCertificate) {
  Start(/*tls=*/true, /*mutual=*/true);
  EXPECT_THAT(ListJobs(Security(kClientToken, "ca.pem")), StatusIs(absl::StatusCode::kUnavailable));
  TMINUS_EXPECT_OK(ListJobs(Security(kClientToken, "ca.pem", /*client_cert=*/true)));
  RunExactJob(Security(kClientToken, "ca.pem", true), Security(kWorkerToken, "ca.pem", true));
}

// Every limit answers RESOURCE_EXHAUSTED naming itself; the coordinator
// stays healthy and what it accepted is still there.
TEST(LimitsTest, OverEachLimitIsRefusedAndNothingIsLost) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.scheduler.max_active_jobs = 2;
  options.admission.submits_per_second = 0.1;
  options.admission.submit_burst = 3;
  options.admission.watches_per_client = 1;
  options.admission.sessions_per_host = 1;
  auto server = CoordinatorServer::Start(options);
  ASSERT_TRUE(server.ok());
  JobClient client((*server)->address());
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(int64_t{1} << 40);
  request.mutable_spec()->set_chunk_count(2);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  auto first = client.Submit(request);
  auto second = client.Submit(request);
  TMINUS_ASSERT_OK(first);
  TMINUS_ASSERT_OK(second);
  EXPECT_THAT(client.Submit(request),
              StatusIs(absl::StatusCode::kResourceExhausted, "jobs: at most 2"));
  EXPECT_THAT(client.Submit(request),  // the burst of 3 is spent
              StatusIs(absl::StatusCode::kResourceExhausted, "submit rate"));
  // One watch stream per client: a second one is refused while the first is
  // open. The job is cancelled after a while, which ends any watch of it.
  std::atomic<bool> watching{false};  // the first update came: the watch was admitted
  std::thread watcher([&] {
    (void)client.Watch(first->id(), 50, [&](const auto&) { watching = true; });
  });
  EXPECT_TRUE(WaitFor([&] { return watching.load(); }, std::chrono::seconds(10),
                      "the first watch stream to open"));
  // On purpose, a while later (not at once): the cancel ends the first watch,
  // and a second one wrongly admitted, instead of leaving the test hanging.
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    (void)client.Cancel(first->id());
  });
  EXPECT_THAT(client.Watch(first->id(), 50, [](const auto&) {}),
              StatusIs(absl::StatusCode::kResourceExhausted, "watch streams"));
  canceller.join();
  watcher.join();
  // One worker session per host (all of ours come from 127.0.0.1).
  auto stub = v1::WorkerService::NewStub(MakeChannel((*server)->address()));
  grpc::ClientContext held_context;
  auto held = stub->Session(&held_context);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id("holder");
  hello.mutable_hello()->set_incarnation(1);
  hello.mutable_hello()->set_host("test-host");
  hello.mutable_hello()->set_slots(1);
  hello.mutable_hello()->add_executors(v1::EXECUTOR_THREADS);
  held->Write(hello);
  v1::CoordinatorMessage welcome;
  ASSERT_TRUE(held->Read(&welcome));
  grpc::ClientContext second_context;
  SetDeadline(&second_context);
  auto refused_session = stub->Session(&second_context);
  v1::CoordinatorMessage nothing;
  EXPECT_FALSE(refused_session->Read(&nothing));
  EXPECT_THAT(FromGrpcStatus(refused_session->Finish()),
              StatusIs(absl::StatusCode::kResourceExhausted, "worker sessions"));
  held_context.TryCancel();
  held->Finish();
  // Nothing accepted was lost; the coordinator still answers.
  auto jobs = client.List(10, "");
  TMINUS_ASSERT_OK(jobs);
  EXPECT_EQ(jobs->jobs_size(), 2);
  (*server)->Shutdown(std::chrono::milliseconds(200));
}

// A watch that ended gives its slot back before the client hears the end: a
// client that watches one job after another never trips the per-client cap.
TEST(LimitsTest, AClientWatchingOneJobAfterAnotherIsNeverRefused) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.admission.watches_per_client = 1;
  auto server = CoordinatorServer::Start(options);
  ASSERT_TRUE(server.ok());
  JobClient client((*server)->address());
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(100);
  request.mutable_spec()->set_chunk_count(1);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  auto job = client.Submit(request);
  TMINUS_ASSERT_OK(job);
  TMINUS_ASSERT_OK(client.Cancel(job->id()));
  int refused = 0;
  for (int i = 0; i < 300; ++i) {  // each watch of the ended job ends at once
    if (!client.Watch(job->id(), 50, [](const auto&) {}).ok()) ++refused;
  }
  EXPECT_EQ(refused, 0);
  (*server)->Shutdown(std::chrono::milliseconds(200));
}

TEST(TokenSetTest, BadTokenFilesNameTheFlag) {
  const std::string dir = Dir() + "-files";
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  Write(dir + "/short", "abc\n");
  Write(dir + "/empty", "# nothing\n\n");
  EXPECT_THAT(TokenSet::Load(dir + "/short", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "--client-token-file"));
  EXPECT_THAT(TokenSet::Load("", dir + "/empty", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "no token"));
  EXPECT_THAT(TokenSet::Load("", "", dir + "/missing"),
              StatusIs(absl::StatusCode::kInvalidArgument, "--admin-token-file"));
  EXPECT_TRUE(TokenSet::Load("", "", "")->open());
  // Not PEM at all: refused at start, not in gRPC's log only.
  EXPECT_THAT(LoadServerTls("/etc/passwd", "/etc/passwd", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls-cert: /etc/passwd holds no PEM"));
  EXPECT_THAT(LoadClientSecurity("", "/etc/hostname", "", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls-ca: /etc/hostname holds no PEM"));
  EXPECT_TRUE(ConstantTimeEquals("same-token", "same-token"));
  EXPECT_FALSE(ConstantTimeEquals("same-token", "same-tokem"));
  EXPECT_FALSE(ConstantTimeEquals("same-token", "same-token-longer"));
}

// ---- the HTTP port: the same roles and TLS as the gRPC port ----

httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

TEST_F(SecurityTest, HttpPortHonoursTheTokensRolesAndRefusesBadRequestsInJson) {
  Start(/*tls=*/false, /*mutual=*/false);
  httplib::Client http("127.0.0.1", server_->http_port());
  EXPECT_EQ(http.Get("/api/v1/jobs")->status, 401);
  EXPECT_EQ(http.Get("/metrics")->status, 401);
  EXPECT_EQ(http.Get("/api/v1/jobs", Bearer(kWorkerToken))->status, 403);
  EXPECT_EQ(http.Get("/api/v1/jobs", Bearer(kClientToken))->status, 200);
  auto metrics = http.Get("/metrics", Bearer(kAdminToken));
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("tminus_workers_connected"), std::string::npos);
  EXPECT_EQ(http.Get("/healthz")->status, 200);  // probes carry no token
  // The browser's login: the token in a form body, a cookie back.
  const std::string own = absl::StrCat("http://127.0.0.1:", server_->http_port());
  auto login = http.Post("/login", {{"Origin", own}}, "token=" + kClientToken,
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303);
  const std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_EQ(http.Get("/api/v1/cluster", {{"Cookie", cookie.substr(0, cookie.find(';'))}})->status, 200);
  // Bad requests: a JSON error with the right 4xx, and the server serves on.
  const auto headers = Bearer(kClientToken);
  for (const auto& [path, status] : std::vector<std::pair<std::string, int>>{
           {"/api/v1/nope", 404}, {"/api/v1/jobs/x", 400}, {"/api/v1/jobs?limit=-1", 400},
           {"/api/v1/jobs?" + std::string(9000, 'q'), 414}}) {
    auto reply = http.Get(path, headers);
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, status) << path;
    EXPECT_NE(reply->body.find("\"error\""), std::string::npos) << path << ": " << reply->body;
  }
  auto put = http.Put("/api/v1/cluster", headers, "x", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  auto huge = http.Post("/login", std::string(100'000, 'a'), "application/x-www-form-urlencoded");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(http.Get("/healthz")->status, 200);
}

TEST_F(SecurityTest, HttpPortSpeaksTlsWithTheCoordinatorsCertificate) {
  Start(/*tls=*/true, /*mutual=*/false);
  httplib::SSLClient https("127.0.0.1", server_->http_port());
  https.set_ca_cert_path((Dir() + "/ca.pem").c_str());
  https.enable_server_certificate_verification(true);
  auto health = https.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(https.Get("/api/v1/jobs", Bearer(kClientToken))->status, 200);
  httplib::SSLClient distrusting("127.0.0.1", server_->http_port());
  distrusting.set_ca_cert_path((Dir() + "/other.pem").c_str());
  distrusting.enable_server_certificate_verification(true);
  EXPECT_FALSE(distrusting.Get("/healthz"));  // a certificate it cannot trust
  httplib::Client plain("127.0.0.1", server_->http_port());
  auto refused = plain.Get("/healthz");
  EXPECT_TRUE(!refused || refused->status != 200);
}

}  // namespace
}  // namespace tminus::testing
