// The HTTP port against other sites (issue 19), with real HTTP requests to a
// real coordinator on 127.0.0.1:0, with no tokens and with tokens: a form
// another site auto-submits cannot cancel a job, and a request naming a Host
// that is not this coordinator's (DNS rebinding) is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "tests/integration/test_server.h"
#include "tests/testing/status_matchers.h"

namespace tminus::testing {
namespace {

const std::string kClientToken = "client-token-0123456789abcdef";

class HttpOriginTest : public ::testing::TestWithParam<bool> {
 protected:
  bool tokens() const { return GetParam(); }

  void SetUp() override {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.http_listen = "127.0.0.1:0";
    options.http_allowed_hosts = {"tminus.example"};
    if (tokens()) {
      const std::string file =
          absl::StrCat(::testing::TempDir(), "tminus-origin-", getpid(), ".tokens");
      std::ofstream(file) << kClientToken << "\n";
      auto loaded = TokenSet::Load(file, "", "");
      ASSERT_TRUE(loaded.ok()) << loaded.status();
      options.tokens = *loaded;
    }
    auto server = CoordinatorServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ClientSecurity security;
    if (tokens()) security.token = kClientToken;
    client_ = std::make_unique<JobClient>(server_->address(), std::chrono::seconds(10), security);
    v1::SubmitJobRequest request;  // no worker: it stays queued
    request.mutable_spec()->set_n(1000);
    request.mutable_spec()->set_chunk_count(10);
    request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
    auto job = client_->Submit(request);
    ASSERT_TRUE(job.ok()) << job.status();
    job_ = job->id();
    own_ = absl::StrCat("127.0.0.1:", server_->http_port());
    if (tokens()) LogIn();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::milliseconds(200));
  }

  // The browser's login form, posted from the page itself.
  void LogIn() {
    httplib::Client http("127.0.0.1", server_->http_port());
    auto login = http.Post("/login", {{"Origin", "http://" + own_}}, "token=" + kClientToken,
                           "application/x-www-form-urlencoded");
    ASSERT_TRUE(login);
    ASSERT_EQ(login->status, 303);
    const std::string cookie = login->get_header_value("Set-Cookie");
    cookie_ = cookie.substr(0, cookie.find(';'));
  }

  // What a browser sends along by itself: the cookie (with tokens).
  httplib::Headers Browser(httplib::Headers extra = {}) const {
    if (!cookie_.empty()) extra.emplace("Cookie", cookie_);
    return extra;
  }

  int Cancel(const httplib::Headers& headers) {
    httplib::Client http("127.0.0.1", server_->http_port());
    auto reply = http.Post(absl::StrCat("/api/v1/jobs/", job_, "/cancel"), headers, "",
                           "application/x-www-form-urlencoded");
    return reply ? reply->status : -1;
  }

  v1::JobState State() { return client_->Get(job_)->state(); }

  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<JobClient> client_;
  uint64_t job_ = 0;
  std::string own_;
  std::string cookie_;
};

TEST_P(HttpOriginTest, AFormAnotherSiteSubmitsCannotCancelAJob) {
  // An auto-submitted form: the browser adds Origin (or, in older ones, nothing).
  EXPECT_EQ(Cancel(Browser({{"Origin", "https://evil.example"}})), 403);
  EXPECT_EQ(Cancel(Browser({{"Origin", "null"}})), 403);  // from a sandboxed frame
  EXPECT_EQ(Cancel(Browser()), 403);
  EXPECT_EQ(State(), v1::JOB_STATE_QUEUED);
  // The page's own script sends the header; a same-origin form its Origin.
  EXPECT_EQ(Cancel(Browser({{"X-Tminus-Request", "1"}})), 200);
  EXPECT_EQ(State(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(Cancel(Browser({{"Origin", "http://" + own_}})), 200);
}

TEST_P(HttpOriginTest, AHostThatIsNotThisCoordinatorsIsRefused) {
  httplib::Client http("127.0.0.1", server_->http_port());
  const int port = server_->http_port();
  for (const std::string& host : {absl::StrCat("evil.example:", port), std::string("evil.example"),
                                 absl::StrCat("localhost.evil.example:", port)}) {
    auto reply = http.Get("/api/v1/jobs", Browser({{"Host", host}}));
    ASSERT_TRUE(reply) << host;
    EXPECT_EQ(reply->status, 403) << host;
    EXPECT_NE(reply->body.find("--http-allowed-hosts"), std::string::npos) << reply->body;
    auto cancel = http.Post(absl::StrCat("/api/v1/jobs/", job_, "/cancel"),
                            Browser({{"Host", host}, {"X-Tminus-Request", "1"}}), "",
                            "text/plain");
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->status, 403) << host;
  }
  EXPECT_EQ(State(), v1::JOB_STATE_QUEUED);
  for (const std::string& host : {own_, absl::StrCat("localhost:", port),
                                 absl::StrCat("TMINUS.example.:", port), std::string("[::1]")}) {
    auto reply = http.Get("/api/v1/jobs", Browser({{"Host", host}}));
    ASSERT_TRUE(reply) << host;
    EXPECT_EQ(reply->status, 200) << host << ": " << reply->body;
  }
  EXPECT_EQ(http.Get("/healthz", {{"Host", "evil.example"}})->status, 200);  // probes
}

INSTANTIATE_TEST_SUITE_P(Tokens, HttpOriginTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithTokens" : "NoTokens"; });

}  // namespace
}  // namespace tminus::testing
