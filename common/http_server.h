// A small HTTP(S) server for the daemons' dashboard, JSON API and /metrics:
// libmicrohttpd underneath, one handler for every request, plain request and
// reply structs in between (so routers are plain functions, unit-tested and
// fuzzed without sockets). libmicrohttpd reads requests on non-blocking
// sockets in its own event loops, so a slow or idle client holds no thread.
// On top of it (http_request.h): bodies at most 64 KiB, targets 8 KiB,
// heads 64 lines and 32 KiB, a length for every body; one request per
// connection; a connection idle for 10 s is dropped, and so is a body not
// in 10 s after the connection opened; past max_connections a request is
// answered 503. Binds without SO_REUSEPORT (a port in use is an error
// naming it) and speaks TLS (GnuTLS) with the daemon's certificate when it
// has one.
//
// Threading: Start() and the destructor from one thread; the handler runs
// on the server's threads, several at once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
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
  int threads = 4;  // each reads, serves and writes its share of the connections
  // Connections open at once (being read, waiting or served); more get 503
  // until a few more than this are open, and beyond that wait to be accepted.
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
};

}  // namespace tminus
