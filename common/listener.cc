#include "common/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/listen_socket.h"
#include "common/logging.h"

namespace tminus {
namespace {

constexpr int kBacklog = 1024;
constexpr int kAcceptsPerWake = 64;
constexpr int64_t kSweepEveryNs = 1'000'000'000;
constexpr int64_t kLimitLogEveryNs = 10'000'000'000;
constexpr absl::Duration kPause = absl::Milliseconds(100);

uint64_t InodeOf(int fd) {
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return 0;
  return info.st_ino;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(const HostPort& address,
                                                         const std::string& flag,
                                                         ListenerOptions options) {
  absl::StatusOr<int> fd = ListenSocket(address, flag, kBacklog);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<Listener>(new Listener(*fd, BoundPort(*fd), options));
}

namespace {

uint64_t SoftFdLimit() {
  struct rlimit limit {};
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur == RLIM_INFINITY ? (uint64_t{1} << 20) : limit.rlim_cur;
}

}  // namespace

int SecondPortConnections(int wanted, int fd_reserve) {
  const int64_t soft = static_cast<int64_t>(SoftFdLimit());
  const int64_t spare = soft - std::max(fd_reserve, 8);
  const int64_t share = std::max<int64_t>(8, spare / 8);
  return static_cast<int>(std::min<int64_t>(wanted, share));
}

Listener::Listener(int fd, int port, ListenerOptions options)
    : fd_(fd), port_(port), options_(options), max_connections_(options.max_connections) {
  const uint64_t soft = SoftFdLimit();
  const uint64_t reserve = static_cast<uint64_t>(std::max(options.fd_reserve, 8));
  fd_ceiling_ = soft > 2 * reserve ? soft - reserve : soft / 2;
  const int64_t room = static_cast<int64_t>(fd_ceiling_) - static_cast<int64_t>(reserve / 2);
  max_connections_ = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(options.max_connections, room)));
}

Listener::~Listener() {
  Stop();
  close(fd_);
}

void Listener::AttachTo(grpc::ServerBuilder* builder,
                        std::shared_ptr<grpc::ServerCredentials> credentials) {
  acceptor_ = builder->experimental().AddExternalConnectionAcceptor(
      grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
      std::move(credentials));
}

void Listener::Start() {
  if (thread_.joinable()) return;
  accepting_ = true;  // until the loop finds a limit reached
  thread_ = std::thread([this] { Loop(); });
}

void Listener::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
  accepting_ = false;
}

void Listener::Sweep() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    auto here = it++;
    if (InodeOf(here->first) != here->second) connections_.erase(here);
  }
  open_ = static_cast<int64_t>(connections_.size());
  sweep_at_ns_ = RealClock::Get()->MonoNs() + kSweepEveryNs;
}

bool Listener::HasRoom() {
  if (static_cast<int>(connections_.size()) >= max_connections_ ||
      RealClock::Get()->MonoNs() >= sweep_at_ns_) {
    Sweep();
  }
  if (static_cast<int>(connections_.size()) >= max_connections_) return false;
  // The lowest free descriptor tells how many are left: all below it are taken.
  const int probe = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (probe < 0) return false;
  close(probe);
  return static_cast<uint64_t>(probe) < fd_ceiling_;
}

void Listener::Loop() {
  while (!stop_.HasBeenNotified()) {
    if (!HasRoom()) {
      if (accepting_.exchange(false) ||
          RealClock::Get()->MonoNs() - last_limit_log_ns_ > kLimitLogEveryNs) {
        last_limit_log_ns_ = RealClock::Get()->MonoNs();
        Logger("listener")->warn(
            "port={} not accepting: {} connections open (cap {}), or too few file descriptors "
            "left; new connections wait until some close", port_, connections_.size(),
            max_connections_);
      }
      stop_.WaitForNotificationWithTimeout(kPause);
      continue;
    }
    if (!accepting_.exchange(true)) Logger("listener")->info("port={} accepting again", port_);
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, 100) > 0) AcceptBatch();
  }
}

void Listener::AcceptBatch() {
  for (int i = 0; i < kAcceptsPerWake && HasRoom(); ++i) {
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // EMFILE, ENFILE, ENOBUFS...: pause; the next HasRoom() decides.
        Logger("listener")->warn("port={} accept: {}", port_, std::strerror(errno));
        stop_.WaitForNotificationWithTimeout(kPause);
      }
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connections_[fd] = InodeOf(fd);
    open_ = static_cast<int64_t>(connections_.size());
    grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
    connection.listener_fd = fd_;
    connection.fd = fd;
    acceptor_->HandleNewConnection(&connection);
  }
}

}  // namespace tminus
