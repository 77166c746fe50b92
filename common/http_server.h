// A small HTTP(S) server for the daemons' dashboard, JSON API and /metrics:
// cpp-httplib underneath, one handler for every request, plain request and
// reply structs in between (so routers are plain functions, unit-tested and
// fuzzed without sockets). Binds without SO_REUSEPORT (a port in use is an
// error naming it), caps bodies at 64 KiB, URIs at 8 KiB and request heads
// at 64 lines and 32 KiB, reads requests on one poll() thread (a slow client
// holds no serving thread; http_stream.h), serves one request per
// connection, drops requests slower than 10 s, holds at most max_connections
// (more get 503), and speaks TLS with the daemon's certificate when it has one.
//
// Threading: Start() and the destructor from one thread; the handler runs
// on the server's pool of threads, several at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/address.h"

namespace tminus {

struct HttpCall {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query
  std::multimap<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> headers;     // names lower-case
  std::string body;
  bool tls = false;

  // The value of a header, or "".
  std::string Header(const std::string& lower_case_name) const;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Set-Cookie, Location, Allow...
};

using HttpHandler = std::function<HttpReply(const HttpCall&)>;

struct HttpServerOptions {
  HostPort address;
  std::string flag = "--http-listen";  // named in errors
  std::string cert_pem;  // with key_pem: HTTPS
  std::string key_pem;
  int threads = 4;  // serving complete requests
  // Connections open at once (being read, waiting or served); more get 503.
  size_t max_connections = 256;
};

class HttpServer {
 public:
  // UNAVAILABLE naming the flag and address when it cannot listen there;
  // INVALID_ARGUMENT for a certificate or key that does not load.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);
  ~HttpServer();  // stops serving and joins

  int port() const { return port_; }
  bool tls() const { return tls_; }

 private:
  struct Impl;
  HttpServer(std::unique_ptr<Impl> impl, int port, bool tls);

  std::unique_ptr<Impl> impl_;
  int port_;
  bool tls_;
  std::thread thread_;
};

}  // namespace tminus
