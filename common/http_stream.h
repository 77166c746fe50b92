// How the daemons' HTTP port takes connections, bounded whatever a client
// does (found by an adversarial pass over cpp-httplib 0.11, which bounds
// header lines but not their number, and lets idle or slow connections hold
// its threads):
//  - HttpGate reads every request on one poll() thread, on non-blocking
//    sockets (the TLS handshake too): a request's head must fit in
//    kMaxHeadLines lines and kMaxHeadBytes (else 431), head and body must
//    arrive within kRequestDeadline of the accept (else the connection is
//    dropped), and at most max_connections are open at once (more get 503).
//    A slow or idle client costs a file descriptor and a buffer, no thread.
//  - Only a complete request reaches a serving thread, which hands httplib a
//    BufferedStream over the bytes read; one request per connection.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tminus {

inline constexpr size_t kMaxHeadBytes = 32 * 1024;
inline constexpr int kMaxHeadLines = 64;
inline constexpr size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::chrono::seconds kRequestDeadline{10};
inline constexpr std::chrono::seconds kWriteTimeout{5};

// One accepted connection: its socket, TLS session (or null) and the bytes
// of its request read so far.
struct HttpConnection {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaken = false;
  std::string bytes;
  size_t head_end = std::string::npos;  // offset just past the empty line
  size_t need = 0;                       // head + body, once the head is in
  short wait_events = 1;                 // POLLIN, or POLLOUT while TLS wants to write
  std::chrono::steady_clock::time_point deadline;
};

// The request as httplib reads it (from the gate's buffer) and the reply as
// it writes it (to the socket, within kWriteTimeout).
class BufferedStream : public httplib::Stream {
 public:
  explicit BufferedStream(HttpConnection& connection) : c_(connection) {}

  bool is_readable() const override { return offset_ < c_.bytes.size(); }
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return c_.fd; }

 private:
  HttpConnection& c_;
  size_t offset_ = 0;
};

struct HttpGateOptions {
  SSL_CTX* tls = nullptr;        // set: TLS handshakes first
  int threads = 4;               // serving complete requests
  size_t max_connections = 256;  // open at once, waiting or served
};

class HttpGate {
 public:
  using Serve = std::function<void(HttpConnection&)>;
  HttpGate(HttpGateOptions options, Serve serve);
  ~HttpGate();  // closes every connection and joins

  // Takes an accepted socket (any thread). Past max_connections it is
  // answered 503 and closed at once.
  void Add(int fd);

 private:
  void PollLoop();
  // Reads what is there; true when the connection is done with (closed or
  // handed to a serving thread).
  bool Advance(std::unique_ptr<HttpConnection>& connection);
  void ServeLoop();
  void Close(std::unique_ptr<HttpConnection> connection);

  const HttpGateOptions options_;
  const Serve serve_;
  int wake_[2] = {-1, -1};  // a pipe: Add and the destructor wake the poll thread
  std::atomic<size_t> open_{0};
  std::atomic<bool> stopping_{false};

  std::mutex mu_;
  std::vector<std::unique_ptr<HttpConnection>> added_;  // not yet polled
  std::deque<std::unique_ptr<HttpConnection>> ready_;   // complete requests
  std::condition_variable ready_cv_;

  std::thread poller_;
  std::vector<std::thread> servers_;
};

// httplib's task queue that runs each task at once on the accepting thread:
// the gate takes the socket from there.
class InlineTaskQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace tminus
