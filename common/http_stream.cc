#include "common/http_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace tminus {
namespace {

using Clock = std::chrono::steady_clock;

int MillisUntil(Clock::time_point deadline, std::chrono::milliseconds cap) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, cap.count()));
}

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int ready = 0;
  do {
    ready = poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  const int got = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                       : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ip.clear();
  port = 0;
  if (got != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// A whole error reply, sent without waiting: best effort, then the
// connection is closed anyway.
void SendError(const HttpConnection& c, int status, const char* reason,
               const std::string& message) {
  const std::string body = "{\"error\":{\"status\":" + std::to_string(status) +
                           ",\"message\":\"" + message + "\"}}";
  const std::string reply = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                            "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (c.ssl != nullptr) {
    if (c.handshaken) SSL_write(c.ssl, reply.data(), static_cast<int>(reply.size()));
  } else {
    send(c.fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

enum class ReadState { kWouldBlock, kEnd };

// Reads what the socket has, up to what a request may hold (the rest stays
// unread: a flood fills the socket buffer, not our memory).
ReadState ReadSome(HttpConnection& c, short* events) {
  constexpr size_t kCap = kMaxHeadBytes + kMaxBodyBytes + 1;
  char chunk[16 * 1024];
  while (c.bytes.size() < kCap) {
    const size_t room = std::min(sizeof(chunk), kCap - c.bytes.size());
    if (c.ssl != nullptr) {
      const int got = SSL_read(c.ssl, chunk, static_cast<int>(room));
      if (got > 0) {
        c.bytes.append(chunk, static_cast<size_t>(got));
        continue;
      }
      const int error = SSL_get_error(c.ssl, got);
      if (error == SSL_ERROR_WANT_READ) return ReadState::kWouldBlock;
      if (error == SSL_ERROR_WANT_WRITE) {
        *events = POLLOUT;
        return ReadState::kWouldBlock;
      }
      return ReadState::kEnd;
    }
    const ssize_t got = recv(c.fd, chunk, room, 0);
    if (got > 0) {
      c.bytes.append(chunk, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return ReadState::kWouldBlock;
    return ReadState::kEnd;
  }
  return ReadState::kWouldBlock;
}

// Once the head is in: where it ends and how much body follows. Returns
// false (after an error reply) for a head over the limits or with
// conflicting Content-Length headers.
bool ParseHead(HttpConnection& c) {
  size_t end = c.bytes.find("\r\n\r\n");
  size_t skip = 4;
  const size_t bare = c.bytes.find("\n\n");
  if (bare != std::string::npos && (end == std::string::npos || bare < end)) {
    end = bare;
    skip = 2;
  }
  const size_t scanned = end == std::string::npos ? c.bytes.size() : end;
  const auto lines = std::count(c.bytes.begin(), c.bytes.begin() + scanned, '\n');
  if (scanned > kMaxHeadBytes || lines > kMaxHeadLines) {
    SendError(c, 431, "Request Header Fields Too Large",
              "request head too large: at most " + std::to_string(kMaxHeadLines) +
                  " lines and " + std::to_string(kMaxHeadBytes / 1024) + " KiB");
    return false;
  }
  if (end == std::string::npos) return true;  // not all in yet
  c.head_end = end + skip;
  int64_t length = -1;
  bool chunked = false;
  for (absl::string_view line : absl::StrSplit(absl::string_view(c.bytes).substr(0, end), '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "transfer-encoding")) chunked = true;
    if (!absl::EqualsIgnoreCase(name, "content-length")) continue;
    int64_t this_length = 0;
    if (!absl::SimpleAtoi(value, &this_length) || this_length < 0 ||
        (length >= 0 && this_length != length)) {
      SendError(c, 400, "Bad Request", "bad or conflicting Content-Length");
      return false;
    }
    length = this_length;
  }
  // A body must say how long it is: a POST without Content-Length (or
  // chunks) would otherwise pass as an empty one.
  const absl::string_view method = absl::string_view(c.bytes).substr(0, c.bytes.find(' '));
  const bool has_body = method == "POST" || method == "PUT" || method == "PATCH";
  if (has_body && length < 0 && !chunked) {
    SendError(c, 411, "Length Required",
              "a " + std::string(method) + " needs Content-Length (0 for an empty body)");
    return false;
  }
  // A body too large, or chunked, goes to httplib as it is: it answers 413
  // or reads the chunks from what is here.
  const bool wait_for_body = !chunked && length > 0 && length <= static_cast<int64_t>(kMaxBodyBytes);
  c.need = c.head_end + (wait_for_body ? static_cast<size_t>(length) : 0);
  return true;
}

void CloseConnection(HttpConnection& c) {
  if (c.ssl != nullptr) SSL_free(c.ssl);
  c.ssl = nullptr;
  if (c.fd >= 0) {
    shutdown(c.fd, SHUT_RDWR);
    close(c.fd);
  }
  c.fd = -1;
}

}  // namespace

bool BufferedStream::is_writable() const {
  return WaitFor(c_.fd, POLLOUT,
                 static_cast<int>(std::chrono::milliseconds(kWriteTimeout).count()));
}

ssize_t BufferedStream::read(char* ptr, size_t size) {
  if (offset_ >= c_.bytes.size()) return 0;  // the gate read the whole request
  const size_t n = std::min(size, c_.bytes.size() - offset_);
  std::memcpy(ptr, c_.bytes.data() + offset_, n);
  offset_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BufferedStream::write(const char* ptr, size_t size) {
  const auto give_up = Clock::now() + kWriteTimeout;
  while (Clock::now() < give_up) {
    if (!WaitFor(c_.fd, POLLOUT, MillisUntil(give_up, kWriteTimeout))) continue;
    if (c_.ssl != nullptr) {
      const int wrote = SSL_write(c_.ssl, ptr, static_cast<int>(std::min<size_t>(size, 1 << 30)));
      if (wrote > 0) return wrote;
      const int error = SSL_get_error(c_.ssl, wrote);
      if (error != SSL_ERROR_WANT_WRITE && error != SSL_ERROR_WANT_READ) return -1;
    } else {
      const ssize_t wrote = send(c_.fd, ptr, size, MSG_NOSIGNAL);
      if (wrote >= 0) return wrote;
      if (errno != EAGAIN && errno != EINTR) return -1;
    }
  }
  return -1;
}

void BufferedStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  AddressOf(c_.fd, true, ip, port);
}

void BufferedStream::get_local_ip_and_port(std::string& ip, int& port) const {
  AddressOf(c_.fd, false, ip, port);
}

HttpGate::HttpGate(HttpGateOptions options, Serve serve)
    : options_(options), serve_(std::move(serve)) {
  if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
  poller_ = std::thread([this] { PollLoop(); });
  for (int i = 0; i < options_.threads; ++i) servers_.emplace_back([this] { ServeLoop(); });
}

HttpGate::~HttpGate() {
  stopping_ = true;
  if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
  ready_cv_.notify_all();
  poller_.join();
  for (std::thread& server : servers_) server.join();
  for (auto& c : added_) Close(std::move(c));
  for (auto& c : ready_) Close(std::move(c));
  for (int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

void HttpGate::Add(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto c = std::make_unique<HttpConnection>();
  c->fd = fd;
  c->deadline = Clock::now() + kRequestDeadline;
  const bool full = stopping_ || open_.load() >= options_.max_connections;
  open_.fetch_add(1);  // Close takes it off
  if (full) {
    if (options_.tls == nullptr) {
      SendError(*c, 503, "Service Unavailable", "too many HTTP connections at once; retry shortly");
    }
    return Close(std::move(c));
  }
  if (options_.tls != nullptr) {
    c->ssl = SSL_new(options_.tls);
    if (c->ssl == nullptr) return Close(std::move(c));
    SSL_set_fd(c->ssl, fd);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    added_.push_back(std::move(c));
  }
  if (wake_[1] >= 0) (void)::write(wake_[1], "x", 1);
}

void HttpGate::Close(std::unique_ptr<HttpConnection> connection) {
  CloseConnection(*connection);
  open_.fetch_sub(1);
}

bool HttpGate::Advance(std::unique_ptr<HttpConnection>& connection) {
  HttpConnection& c = *connection;
  short events = POLLIN;
  if (c.ssl != nullptr && !c.handshaken) {
    const int accepted = SSL_accept(c.ssl);
    if (accepted != 1) {
      const int error = SSL_get_error(c.ssl, accepted);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        Close(std::move(connection));
        return true;
      }
      c.wait_events = error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
      return false;
    }
    c.handshaken = true;
  }
  const ReadState state = ReadSome(c, &events);
  c.wait_events = events;
  if (c.head_end == std::string::npos && !ParseHead(c)) {
    Close(std::move(connection));
    return true;
  }
  if (c.head_end != std::string::npos && c.bytes.size() >= c.need) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_.push_back(std::move(connection));
    }
    ready_cv_.notify_one();
    return true;
  }
  if (state == ReadState::kEnd) {  // closed or failed before the request was in
    Close(std::move(connection));
    return true;
  }
  return false;
}

void HttpGate::PollLoop() {
  std::vector<std::unique_ptr<HttpConnection>> pending;
  std::vector<pollfd> fds;
  while (!stopping_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& c : added_) pending.push_back(std::move(c));
      added_.clear();
    }
    fds.assign(1, pollfd{wake_[0], POLLIN, 0});
    auto wake_at = Clock::now() + std::chrono::seconds(1);
    for (const auto& c : pending) {
      fds.push_back(pollfd{c->fd, c->wait_events, 0});
      wake_at = std::min(wake_at, c->deadline);
    }
    const int timeout = MillisUntil(wake_at, std::chrono::milliseconds(1000));
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof(drain)) > 0) {
      }
    }
    const auto now = Clock::now();
    std::vector<std::unique_ptr<HttpConnection>> still;
    for (size_t i = 0; i < pending.size(); ++i) {
      auto& c = pending[i];
      if (now >= c->deadline) {
        Close(std::move(c));  // too slow: dropped without a word
      } else if (fds[i + 1].revents == 0 || !Advance(c)) {
        still.push_back(std::move(c));
      }
    }
    pending = std::move(still);
  }
  for (auto& c : pending) Close(std::move(c));
}

void HttpGate::ServeLoop() {
  for (;;) {
    std::unique_ptr<HttpConnection> c;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
      if (stopping_) return;
      c = std::move(ready_.front());
      ready_.pop_front();
    }
    serve_(*c);
    if (c->ssl != nullptr) SSL_shutdown(c->ssl);
    Close(std::move(c));
  }
}

}  // namespace tminus
