// The HTTP port's request rules (common/http_request.h), without sockets.
#include "common/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace tminus {
namespace {

HttpHead Head(const std::string& method, std::vector<std::pair<std::string, std::string>> headers,
              const std::string& target = "/x") {
  return HttpHead{method, target, std::move(headers)};
}

int Refused(const HttpHead& head) {
  const std::optional<HttpReply> reply = CheckHead(head);
  return reply ? reply->status : 0;
}

TEST(HttpRequestTest, AnOrdinaryHeadPasses) {
  EXPECT_EQ(Refused(Head("GET", {{"Host", "x"}})), 0);
  EXPECT_EQ(Refused(Head("POST", {{"Host", "x"}, {"Content-Length", "5"}})), 0);
  EXPECT_EQ(Refused(Head("POST", {{"Host", "x"}, {"Transfer-Encoding", "Chunked"}})), 0);
  EXPECT_EQ(Refused(Head("POST", {{"Content-Length", "5"}, {"content-length", "5"}})), 0);
}

TEST(HttpRequestTest, HeadsPastTheLimitsGet431And414) {
  std::vector<std::pair<std::string, std::string>> many;
  for (size_t i = 0; i <= kMaxHeadLines; ++i) many.emplace_back("X-" + std::to_string(i), "y");
  EXPECT_EQ(Refused(Head("GET", many)), 431);
  EXPECT_EQ(Refused(Head("GET", {{"X-Big", std::string(kMaxHeadBytes, 'y')}})), 431);
  EXPECT_EQ(Refused(Head("GET", {}, "/?" + std::string(kMaxTargetBytes, 'q'))), 414);
}

TEST(HttpRequestTest, BodiesMustSayHowLongTheyAreOnce) {
  const std::optional<HttpReply> no_length = CheckHead(Head("PUT", {{"Host", "x"}}));
  ASSERT_TRUE(no_length);
  EXPECT_EQ(no_length->status, 411);
  EXPECT_NE(no_length->body.find("a PUT needs Content-Length"), std::string::npos);
  EXPECT_EQ(Refused(Head("POST", {{"Content-Length", "5"}, {"Content-Length", "50"}})), 400);
  EXPECT_EQ(Refused(Head("POST", {{"Content-Length", "-1"}})), 400);
  EXPECT_EQ(Refused(Head("POST", {{"Transfer-Encoding", "gzip"}})), 400);
  EXPECT_EQ(Refused(Head("POST", {{"Content-Length", std::to_string(kMaxBodyBytes + 1)}})), 413);
}

TEST(HttpRequestTest, ErrorRepliesAreJson) {
  const HttpReply reply = ErrorReply(404, "not found");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(reply.body, "{\"error\":{\"status\":404,\"message\":\"not found\"}}");
}

TEST(HttpRequestTest, TheTargetDecodesIntoAPathAndAQuery) {
  HttpCall call;
  DecodeTarget("/api/v1/a%20b+c?state=run+ning&x=%41%2&flag&=dropped&y=1=2", &call);
  EXPECT_EQ(call.path, "/api/v1/a b+c");
  const std::multimap<std::string, std::string> expected = {
      {"state", "run ning"}, {"x", "A%2"}, {"flag", ""}, {"y", "1=2"}};
  EXPECT_EQ(call.query, expected);
  HttpCall plain;
  DecodeTarget("/", &plain);
  EXPECT_EQ(plain.path, "/");
  EXPECT_TRUE(plain.query.empty());
}

}  // namespace
}  // namespace tminus
