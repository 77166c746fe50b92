#include "common/listen_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tminus {
namespace {

absl::Status BindError(int error, const std::string& flag, const HostPort& address) {
  const std::string where = absl::StrCat(flag, " ", address.ToString(), ": ");
  switch (error) {
    case EADDRINUSE:
      return absl::UnavailableError(
          absl::StrCat(where, "address already in use (is another process listening there?)"));
    case EADDRNOTAVAIL:
      return absl::UnavailableError(absl::StrCat(where, "not an address of this machine"));
    case EACCES:
      return absl::UnavailableError(
          absl::StrCat(where, "permission denied (ports below 1024 need privileges)"));
    default:
      return absl::UnavailableError(absl::StrCat(where, "cannot listen: ", std::strerror(error)));
  }
}

// A bound, listening, non-blocking socket; or -errno.
int ListenOn(const addrinfo& info, int backlog) {
  const int fd = socket(info.ai_family, info.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        info.ai_protocol);
  if (fd < 0) return -errno;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // restart over TIME_WAIT
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (bind(fd, info.ai_addr, info.ai_addrlen) != 0 || listen(fd, backlog) != 0) {
    const int error = errno;
    close(fd);
    return -error;
  }
  return fd;
}

}  // namespace

absl::StatusOr<int> ListenSocket(const HostPort& address, const std::string& flag, int backlog) {
  addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (const int error = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
      error != 0) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", address.ToString(),
                                                   ": cannot resolve the host: ",
                                                   gai_strerror(error)));
  }
  int result = -EADDRNOTAVAIL;
  for (addrinfo* info = found; info != nullptr && result < 0; info = info->ai_next) {
    result = ListenOn(*info, backlog);
  }
  freeaddrinfo(found);
  if (result < 0) return BindError(-result, flag, address);
  return result;
}

int BoundPort(int fd) {
  sockaddr_storage bound {};
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  if (bound.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

}  // namespace tminus
