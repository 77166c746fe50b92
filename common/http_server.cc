#include "common/http_server.h"

#include <microhttpd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_request.h"
#include "common/listen_socket.h"
#include "common/logging.h"

namespace tminus {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kBacklog = 1024;
constexpr unsigned kIdleTimeoutSeconds = 10;
// A body must be in within this of the connection's opening (an idle
// timeout alone lets a client trickle a byte every few seconds for ever).
constexpr SteadyClock::duration kBodyDeadline = std::chrono::seconds(10);
// Each connection's memory: its head must fit, with the reply's head. A
// head that does not fit gets libmicrohttpd's own 431 (or 414 when the
// request line alone overflows); one that fits but passes kMaxHeadBytes or
// kMaxHeadLines gets ours.
constexpr size_t kConnectionMemory = kMaxHeadBytes + 16 * 1024;

// Connections past max_connections are still accepted, up to this many
// more, to be told 503; past those they wait in the kernel's backlog.
size_t RefusalRoom(size_t max_connections) { return std::max<size_t>(8, max_connections / 8); }

// Per connection (libmicrohttpd's socket context).
struct Connection {
  SteadyClock::time_point opened;
  bool over_cap = false;
};

// Per request (libmicrohttpd's request context, made when the request line
// is in).
struct Request {
  std::string target;
  bool head_checked = false;
  bool body_too_large = false;
  std::string body;
};

// What the callbacks share (their `cls`), from any of the server's threads.
struct Shared {
  HttpHandler handler;
  bool tls = false;
  size_t max_connections = 0;
  std::atomic<size_t> open{0};
  std::string cert_pem;  // libmicrohttpd keeps pointers to these
  std::string key_pem;
};

void OnLog(void*, const char* format, va_list arguments) {
  char line[512];
  vsnprintf(line, sizeof(line), format, arguments);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  Logger("http")->debug("libmicrohttpd: {}", text);
}

void OnConnection(void* cls, MHD_Connection*, void** socket_context,
                  MHD_ConnectionNotificationCode code) {
  auto* shared = static_cast<Shared*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const size_t open = shared->open.fetch_add(1) + 1;
    *socket_context = new Connection{SteadyClock::now(), open > shared->max_connections};
  } else {
    shared->open.fetch_sub(1);
    delete static_cast<Connection*>(*socket_context);
    *socket_context = nullptr;
  }
}

void* OnRequestLine(void*, const char* target, MHD_Connection*) {
  auto* request = new Request;
  request->target = target;
  return request;
}

void OnRequestDone(void*, MHD_Connection*, void** request_context, MHD_RequestTerminationCode) {
  delete static_cast<Request*>(*request_context);
  *request_context = nullptr;
}

const Connection& ConnectionOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return *static_cast<const Connection*>(info->socket_context);
}

MHD_Result AddHeader(void* cls, MHD_ValueKind, const char* name, const char* value) {
  static_cast<HttpHead*>(cls)->headers.emplace_back(name, value == nullptr ? "" : value);
  return MHD_YES;
}

MHD_Result Send(MHD_Connection* connection, const HttpReply& reply) {
  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  // One request per connection, as the limits above count them.
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
  const MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

// The reply that refuses the request from its head, if any.
std::optional<HttpReply> Refusal(MHD_Connection* connection, const char* method,
                                 const Request& request) {
  if (ConnectionOf(connection).over_cap) {
    return ErrorReply(503, "too many HTTP connections at once; retry shortly");
  }
  HttpHead head;
  head.method = method;
  head.target = request.target;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &AddHeader, &head);
  return CheckHead(head);
}

HttpCall ToCall(MHD_Connection* connection, const char* method, Request& request, bool tls) {
  HttpCall call;
  call.method = method;
  DecodeTarget(request.target, &call);
  HttpHead head;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &AddHeader, &head);
  for (auto& [name, value] : head.headers) {
    call.headers[absl::AsciiStrToLower(name)] = std::move(value);
  }
  call.body = std::move(request.body);
  call.tls = tls;
  return call;
}

// libmicrohttpd calls this once the head is in, once per piece of body,
// and once more when the request is whole; MHD_NO drops the connection.
MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char*, const char* method,
                     const char*, const char* upload, size_t* upload_size,
                     void** request_context) {
  auto* shared = static_cast<Shared*>(cls);
  auto* request = static_cast<Request*>(*request_context);
  if (request == nullptr) return MHD_NO;  // OnRequestLine makes one for every request
  if (!request->head_checked) {
    request->head_checked = true;
    std::optional<HttpReply> refusal = Refusal(connection, method, *request);
    return refusal ? Send(connection, *refusal) : MHD_YES;
  }
  if (*upload_size > 0) {
    if (SteadyClock::now() - ConnectionOf(connection).opened > kBodyDeadline) return MHD_NO;
    if (request->body.size() + *upload_size > kMaxBodyBytes) request->body_too_large = true;
    if (!request->body_too_large) request->body.append(upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (request->body_too_large) return Send(connection, BodyTooLarge());
  return Send(connection, shared->handler(ToCall(connection, method, *request, shared->tls)));
}

std::vector<MHD_OptionItem> Options(Shared& shared, int listen_fd, int threads) {
  auto callback = [](auto* function) { return reinterpret_cast<intptr_t>(function); };
  const size_t limit = shared.max_connections + RefusalRoom(shared.max_connections);
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_EXTERNAL_LOGGER, callback(&OnLog), nullptr},  // first, as documented
      {MHD_OPTION_LISTEN_SOCKET, listen_fd, nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(limit), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(kConnectionMemory), nullptr},
      {MHD_OPTION_NOTIFY_CONNECTION, callback(&OnConnection), &shared},
      {MHD_OPTION_URI_LOG_CALLBACK, callback(&OnRequestLine), &shared},
      {MHD_OPTION_NOTIFY_COMPLETED, callback(&OnRequestDone), &shared},
  };
  if (threads > 1) items.push_back({MHD_OPTION_THREAD_POOL_SIZE, threads, nullptr});
  if (shared.tls) {
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(shared.key_pem.c_str())});
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(shared.cert_pem.c_str())});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  return items;
}

}  // namespace

struct HttpServer::Impl {
  Shared shared;
  MHD_Daemon* daemon = nullptr;
};

std::string HttpCall::Header(const std::string& lower_case_name) const {
  const auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  Shared& shared = impl->shared;
  shared.handler = std::move(handler);
  shared.tls = !options.cert_pem.empty();
  shared.max_connections = std::max<size_t>(1, options.max_connections);
  shared.cert_pem = options.cert_pem;
  shared.key_pem = options.key_pem;
  absl::StatusOr<int> listen_fd = ListenSocket(options.address, options.flag, kBacklog);
  if (!listen_fd.ok()) return listen_fd.status();
  const int port = BoundPort(*listen_fd);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (shared.tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> items = Options(shared, *listen_fd, std::max(1, options.threads));
  impl->daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &OnRequest, &shared,
                                  MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    close(*listen_fd);  // a started daemon closes it when it stops
    // The socket is bound already: what is left to fail is the TLS setup.
    return absl::InvalidArgumentError(
        absl::StrCat(options.flag, ": the TLS certificate or key does not load"));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), port, shared.tls));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl, int port, bool tls)
    : impl_(std::move(impl)), port_(port), tls_(tls) {}

HttpServer::~HttpServer() { MHD_stop_daemon(impl_->daemon); }

}  // namespace tminus
