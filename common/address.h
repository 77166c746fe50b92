// HOST:PORT as users type it, checked before anything binds or dials:
// gRPC itself would take "127.0.0.1:99999" as port 34463 and "host:80abc" as 80.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tminus {

inline constexpr int kDefaultPort = 7070;

struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 0;
  std::string ToString() const;  // brackets around IPv6
};

struct AddressRules {
  int default_port = -1;  // used for a bare HOST; -1: the port is required
  bool allow_port_zero = false;  // listen addresses: 0 picks a free port
};

// "HOST:PORT", "[IPV6]:PORT", or a bare "HOST" when rules give a default.
// INVALID_ARGUMENT naming `flag` and what is wrong otherwise.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view flag,
                                       AddressRules rules);

// A gRPC dial target: a checked HOST:PORT (default port 7070), or a target
// with a scheme (unix:, dns:, ipv4:, ...) passed through as it is.
absl::StatusOr<std::string> ParseDialTarget(absl::string_view text, absl::string_view flag);

}  // namespace tminus
