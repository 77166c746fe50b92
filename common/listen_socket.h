// A listening TCP socket bound the way both daemon ports want it: without
// SO_REUSEPORT (which lets a second process share the port unnoticed, so a
// port in use must be an error naming it), with SO_REUSEADDR (a restart
// binds over TIME_WAIT), non-blocking and close-on-exec. Used by the gRPC
// Listener and the HTTP server.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/address.h"

namespace tminus {

// Binds and listens on `address` (port 0: a free one); the caller owns the
// descriptor. INVALID_ARGUMENT when the host does not resolve; UNAVAILABLE
// naming `flag` and the address when it is in use, not an address of this
// machine, or privileged.
absl::StatusOr<int> ListenSocket(const HostPort& address, const std::string& flag, int backlog);

// The port a bound socket got; 0 if it cannot be read.
int BoundPort(int fd);

}  // namespace tminus
