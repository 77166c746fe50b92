#include "common/http_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_stream.h"

namespace tminus {
namespace {

// Only SO_REUSEADDR (a restart binds over TIME_WAIT): httplib's default adds
// SO_REUSEPORT, which lets a second process share the port unnoticed.
void OnlyReuseAddress(socket_t socket) {
  const int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// Loads a PEM chain and key into the context; false if either is bad.
bool LoadPem(SSL_CTX& context, const std::string& cert_pem, const std::string& key_pem) {
  BIO* certs = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
  bool ok = leaf != nullptr && SSL_CTX_use_certificate(&context, leaf) == 1;
  X509_free(leaf);
  while (ok) {
    X509* extra = PEM_read_bio_X509(certs, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add_extra_chain_cert(&context, extra) != 1) {  // takes ownership on success
      X509_free(extra);
      ok = false;
    }
  }
  ERR_clear_error();  // the end of the chain reads as an error
  BIO_free(certs);
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  ok = ok && key != nullptr && SSL_CTX_use_PrivateKey(&context, key) == 1 &&
       SSL_CTX_check_private_key(&context) == 1;
  EVP_PKEY_free(key);
  BIO_free(key_bio);
  return ok;
}

const char* StatusText(int status) {
  switch (status) {
    case 400: return "bad request: a malformed request line or header, or a POST without "
                     "Content-Length (send Content-Length: 0 for an empty body)";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 411: return "length required";
    case 413: return "payload too large (at most 64 KiB)";
    case 414: return "URI too long (at most 8 KiB)";
    case 431: return "request header fields too large";
    default: return "error";
  }
}

HttpCall ToCall(const httplib::Request& request, bool tls) {
  HttpCall call;
  call.method = request.method;
  call.path = request.path;
  for (const auto& [name, value] : request.params) call.query.emplace(name, value);
  for (const auto& [name, value] : request.headers) {
    call.headers[absl::AsciiStrToLower(name)] = value;
  }
  call.body = request.body;
  call.tls = tls;
  return call;
}

// httplib's server with our connection handling (http_stream.h): the
// accepting thread hands each socket to the gate, which reads the request
// and passes only complete ones to httplib's request processing.
template <typename Base>
class GatedServer : public Base {
 public:
  using Base::Base;

  void StartGate(int threads, size_t max_connections) {
    HttpGateOptions options;
    if constexpr (std::is_base_of_v<httplib::SSLServer, Base>) options.tls = this->ssl_context();
    options.threads = threads;
    options.max_connections = max_connections;
    gate_ = std::make_unique<HttpGate>(options, [this](HttpConnection& connection) {
      BufferedStream stream(connection);
      bool closed = false;
      this->process_request(stream, /*close_connection=*/true, closed,
                            [](httplib::Request&) {});
    });
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    gate_->Add(sock);
    return true;
  }

  std::unique_ptr<HttpGate> gate_;  // destroyed first: its threads use Base
};

}  // namespace

std::string HttpCall::Header(const std::string& lower_case_name) const {
  const auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpServer::Impl {
  std::unique_ptr<httplib::Server> server;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  const bool tls = !options.cert_pem.empty();
  if (tls) {
    bool loaded = false;
    auto server = std::make_unique<GatedServer<httplib::SSLServer>>([&](SSL_CTX& context) {
      loaded = LoadPem(context, options.cert_pem, options.key_pem);
      return loaded;
    });
    if (!loaded || !server->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.flag, ": the TLS certificate or key does not load"));
    }
    server->StartGate(options.threads, options.max_connections);
    impl->server = std::move(server);
  } else {
    auto server = std::make_unique<GatedServer<httplib::Server>>();
    server->StartGate(options.threads, options.max_connections);
    impl->server = std::move(server);
  }
  httplib::Server& server = *impl->server;
  server.new_task_queue = [] { return new InlineTaskQueue(); };
  server.set_socket_options(OnlyReuseAddress);
  server.set_payload_max_length(kMaxBodyBytes);
  auto serve = [handler = std::move(handler), tls](const httplib::Request& request,
                                                    httplib::Response& response) {
    const HttpReply reply = handler(ToCall(request, tls));
    response.status = reply.status;
    for (const auto& [name, value] : reply.headers) response.set_header(name, value);
    response.set_content(reply.body, reply.content_type.c_str());
  };
  // httplib's own answers (400, 413, 414...) get a JSON body too.
  server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    response.set_content(absl::StrCat("{\"error\":{\"status\":", response.status,
                                      ",\"message\":\"", StatusText(response.status),
                                      "\"}}"),
                         "application/json");
  });
  server.Get(".*", serve);
  server.Post(".*", serve);
  server.Put(".*", serve);
  server.Delete(".*", serve);
  server.Patch(".*", serve);
  server.Options(".*", serve);
  const std::string& host = options.address.host;
  int port = options.address.port;
  errno = 0;
  const bool bound = port == 0 ? (port = server.bind_to_any_port(host)) > 0
                               : server.bind_to_port(host, port);
  if (!bound) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat(
        options.flag, " ", options.address.ToString(), ": cannot listen",
        error == EADDRINUSE ? ": address already in use (is another process listening there?)"
        : error != 0        ? absl::StrCat(": ", std::strerror(error))
                            : ""));
  }
  std::unique_ptr<HttpServer> started(new HttpServer(std::move(impl), port, tls));
  started->thread_ = std::thread([raw = started.get()] { raw->impl_->server->listen_after_bind(); });
  return started;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl, int port, bool tls)
    : impl_(std::move(impl)), port_(port), tls_(tls) {}

HttpServer::~HttpServer() {
  impl_->server->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tminus
