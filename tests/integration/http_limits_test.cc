// The HTTP port's bounds over real sockets (found by an adversarial pass):
// a flood of header lines, slow and idle clients, too many connections and
// conflicting lengths must neither grow the daemon nor lock others out.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using ::tminus::testing::WaitFor;

class Socket {
 public:
  explicit Socket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{15, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Socket() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& text) {
    return send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Everything until the server closes (or the 15 s timeout).
  std::string ReadAll() {
    std::string reply;
    char chunk[4096];
    ssize_t got = 0;
    while ((got = recv(fd_, chunk, sizeof(chunk), 0)) > 0) reply.append(chunk, got);
    return reply;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::unique_ptr<HttpServer> StartServer(size_t max_connections = 256) {
  HttpServerOptions options;
  options.address = HostPort{"127.0.0.1", 0};
  options.threads = 2;
  options.max_connections = max_connections;
  auto server = HttpServer::Start(options, [](const HttpCall& call) {
    HttpReply reply;
    reply.body = "{\"path\":\"" + call.path + "\",\"body\":" + std::to_string(call.body.size()) + "}";
    return reply;
  });
  EXPECT_TRUE(server.ok()) << server.status();
  return std::move(*server);
}

std::string Get(int port, const std::string& path) {
  Socket client(port);
  if (!client.connected()) return "no connection";
  client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return client.ReadAll();
}

TEST(HttpLimitsTest, AFloodOfHeaderLinesGets431AndTheServerCarriesOn) {
  auto server = StartServer();
  Socket flood(server->port());
  ASSERT_TRUE(flood.connected());
  std::string lines = "GET /x HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) lines += "X-Header-" + std::to_string(i) + ": yyyyyyyyyyyy\r\n";
  flood.Send(lines);  // may fail part-way: the server stops reading
  EXPECT_NE(flood.ReadAll().find("431"), std::string::npos);
  EXPECT_NE(Get(server->port(), "/after").find("\"path\":\"/after\""), std::string::npos);
}

TEST(HttpLimitsTest, SlowAndIdleClientsHoldNoServingThread) {
  auto server = StartServer();
  std::vector<std::unique_ptr<Socket>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<Socket>(server->port()));
    slow.back()->Send("GET /slow HTTP/1.1\r\nHost: x\r\n");  // the head never ends
    slow.push_back(std::make_unique<Socket>(server->port()));  // says nothing at all
  }
  // Two serving threads and forty stuck clients: others are still served.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(Get(server->port(), "/fast").find("200 OK"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

TEST(HttpLimitsTest, ConnectionsPastTheCapGet503) {
  auto server = StartServer(/*max_connections=*/4);
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<Socket>(server->port()));
  // Once the server has taken the four, a fifth connection gets 503.
  std::string reply;
  EXPECT_TRUE(WaitFor(
      [&] {
        reply = Get(server->port(), "/over");
        return reply.find("503") != std::string::npos;
      },
      std::chrono::seconds(10), "a connection past the cap to get 503"))
      << "last reply: " << reply;
  idle.clear();  // closed: the server drops them and has room again
  EXPECT_TRUE(WaitFor(
      [&] {
        reply = Get(server->port(), "/again");
        return reply.find("200 OK") != std::string::npos;
      },
      std::chrono::seconds(10), "a connection to be served again", std::chrono::milliseconds(100)))
      << "last reply: " << reply;
}

TEST(HttpLimitsTest, BodiesArriveWholeAndConflictingLengthsAreRefused) {
  auto server = StartServer();
  {
    Socket client(server->port());
    client.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
    usleep(100'000);  // on purpose: the body comes in two pieces, some time apart
    client.Send("cde");
    EXPECT_NE(client.ReadAll().find("\"body\":5"), std::string::npos);
  }
  Socket no_length(server->port());  // the 400 text says it is required: it is
  no_length.Send("POST /p HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string refused = no_length.ReadAll();
  EXPECT_NE(refused.find("411"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Content-Length"), std::string::npos) << refused;
  Socket smuggle(server->port());
  smuggle.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n");
  const std::string reply = smuggle.ReadAll();
  EXPECT_NE(reply.find("400"), std::string::npos);
  EXPECT_NE(reply.find("Content-Length"), std::string::npos);
}

TEST(HttpLimitsTest, AChunkedBodyArrivesWholeAndOneTooLongGets413) {
  auto server = StartServer();
  {
    Socket client(server->port());
    client.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    EXPECT_NE(client.ReadAll().find("\"body\":5"), std::string::npos);
  }
  Socket big(server->port());
  big.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(16 * 1024, 'z');
  for (int i = 0; i < 5; ++i) big.Send("4000\r\n" + chunk + "\r\n");
  big.Send("0\r\n\r\n");
  const std::string reply = big.ReadAll();
  EXPECT_NE(reply.find("413"), std::string::npos) << reply;
}

TEST(HttpLimitsTest, ABadCertificateOrAPortInUseIsAClearError) {
  HttpServerOptions options;
  options.address = HostPort{"127.0.0.1", 0};
  options.cert_pem = "not a certificate";
  options.key_pem = "not a key";
  EXPECT_THAT(HttpServer::Start(options, nullptr),
              tminus::testing::StatusIs(absl::StatusCode::kInvalidArgument, "--http-listen: the TLS certificate"));
  auto server = StartServer();
  options = HttpServerOptions();
  options.address = HostPort{"127.0.0.1", server->port()};
  EXPECT_THAT(HttpServer::Start(options, nullptr),
              tminus::testing::StatusIs(absl::StatusCode::kUnavailable, "address already in use"));
}

}  // namespace
}  // namespace tminus
