// A TCP listener that accepts connections for a gRPC server, in place of
// gRPC's own. Why: gRPC 1.51 binds with SO_REUSEPORT (a second server on the
// same port silently shares it) and its accept loop stops for good after one
// EMFILE (a flood of idle connections shut a coordinator off). This one:
//  - binds without SO_REUSEPORT: a port in use is an error naming it;
//  - caps the connections open at once and keeps a reserve of file
//    descriptors; at either limit it stops accepting (new connections wait
//    in the kernel's backlog) and resumes by itself as connections close;
//  - says whether it can accept, for readiness.
// Connections go to gRPC through an ExternalConnectionAcceptor, with the
// server's credentials (TLS works as on gRPC's own ports).
//
// Threading: one accept thread between Start() and Stop(); accepting() and
// open_connections() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/address.h"

namespace tminus {

struct ListenerOptions {
  int max_connections = 10'000;
  // File descriptors kept free for everything else (the state store, child
  // processes, outgoing calls): at most the soft limit minus this are used
  // for connections.
  int fd_reserve = 64;
};

// Connections a second port of the same process (the HTTP port) may hold
// open: `wanted`, at most an eighth of the descriptors that the soft fd
// limit leaves beyond `fd_reserve`, and at least 8. Give the gRPC Listener a
// reserve larger by as much: the two caps then fit the limit together, and
// a flood of one port never takes the other's descriptors.
int SecondPortConnections(int wanted, int fd_reserve);

class Listener {
 public:
  // Binds and listens on `address` (port 0: a free one). INVALID_ARGUMENT
  // when the host does not resolve, UNAVAILABLE naming `flag` and the
  // address when it is in use or not an address of this machine.
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(const HostPort& address,
                                                        const std::string& flag,
                                                        ListenerOptions options);
  ~Listener();

  int port() const { return port_; }
  // The effective cap: max_connections, lowered to fit the fd limit.
  int max_connections() const { return max_connections_; }
  // Registers with the builder; call before BuildAndStart().
  void AttachTo(grpc::ServerBuilder* builder, std::shared_ptr<grpc::ServerCredentials> credentials);
  // Starts accepting; call after BuildAndStart().
  void Start();
  // Stops accepting; call before the server shuts down.
  void Stop();

  bool accepting() const { return accepting_.load(); }
  int64_t open_connections() const { return open_.load(); }

 private:
  Listener(int fd, int port, ListenerOptions options);
  void Loop();
  void AcceptBatch();
  // Under the caps and with fds to spare.
  bool HasRoom();
  // Forgets connections gRPC has closed (their fd is gone or reused).
  void Sweep();

  const int fd_;
  const int port_;
  const ListenerOptions options_;
  int max_connections_;
  uint64_t fd_ceiling_;  // an accepted fd at or above this leaves too few spare
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  absl::flat_hash_map<int, uint64_t> connections_;  // fd -> socket inode; accept thread only
  int64_t sweep_at_ns_ = 0;
  int64_t last_limit_log_ns_ = 0;
  std::atomic<bool> accepting_{false};
  std::atomic<int64_t> open_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tminus
