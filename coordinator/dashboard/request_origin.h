// Where a request to the HTTP port comes from, checked before anything else,
// in every mode (tokens or none):
//  - DNS rebinding: a page on evil.example whose name now resolves to
//    127.0.0.1 reaches the port with `Host: evil.example`. Only the names of
//    this coordinator are answered: an IP literal, localhost, the machine's
//    hostname, the --http-listen host and the names of --http-allowed-hosts.
//  - Cross-site requests: a form on another site can POST to the port (the
//    browser adds no header the page did not choose). A request that changes
//    state must carry a header a form cannot set (X-Tminus-Request or
//    Authorization: another site's script would need a CORS preflight, which
//    this port never grants), or an Origin of the port itself; a foreign
//    Origin is always refused.
//
// Threading: immutable after construction; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/http_server.h"

namespace tminus {

class RequestOrigin {
 public:
  // `names`: host names (no port) this coordinator answers to, besides IP
  // literals and localhost; matched without case and trailing dot.
  explicit RequestOrigin(const std::vector<std::string>& names);

  // "" when the call may go on; else why not (answered 403).
  std::string Refusal(const HttpCall& call) const;

  // The host part of a Host header ("h:80" -> "h", "[::1]:80" -> "::1"),
  // lower-case, without a trailing dot.
  static std::string HostName(const std::string& host_header);

 private:
  bool Known(const std::string& name) const;

  absl::flat_hash_set<std::string> names_;
};

}  // namespace tminus
