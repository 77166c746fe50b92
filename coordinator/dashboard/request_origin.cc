#include "coordinator/dashboard/request_origin.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text.h"

namespace tminus {
namespace {

bool IsIpLiteral(const std::string& name) {
  unsigned char address[16];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

// GET and HEAD only read; everything else may change state (cancel, login,
// logout) or is refused by the router anyway.
bool ChangesState(const HttpCall& call) { return call.method != "GET" && call.method != "HEAD"; }

}  // namespace

RequestOrigin::RequestOrigin(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!name.empty()) names_.insert(HostName(name));
  }
  names_.insert("localhost");
}

std::string RequestOrigin::HostName(const std::string& host_header) {
  std::string host = absl::AsciiStrToLower(absl::StripAsciiWhitespace(host_header));
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    host = close == std::string::npos ? host : host.substr(1, close - 1);
  } else if (const size_t colon = host.find(':');
             colon != std::string::npos && host.find(':', colon + 1) == std::string::npos) {
    host = host.substr(0, colon);  // one colon: a port; more: a bare IPv6 address
  }
  if (absl::EndsWith(host, ".")) host.pop_back();
  return host;
}

bool RequestOrigin::Known(const std::string& name) const {
  return IsIpLiteral(name) || names_.contains(name);
}

std::string RequestOrigin::Refusal(const HttpCall& call) const {
  // A client without a Host header (HTTP/1.0) is no browser: nothing to rebind.
  const std::string host_header = call.Header("host");
  if (!host_header.empty() && !Known(HostName(host_header))) {
    return absl::StrCat("Host '", EscapeForLog(host_header, 64),
                        "' is not a name of this coordinator (add it with "
                        "--http-allowed-hosts)");
  }
  const std::string origin = call.Header("origin");
  const std::string own = absl::StrCat(call.tls ? "https://" : "http://", host_header);
  if (!origin.empty() && origin != "null" && !absl::EqualsIgnoreCase(origin, own)) {
    return absl::StrCat("requests from another site (Origin '", EscapeForLog(origin, 64),
                        "') are refused");
  }
  if (!ChangesState(call) || (!origin.empty() && origin != "null")) return "";
  if (call.Header("x-tminus-request") == "1" || !call.Header("authorization").empty()) return "";
  return absl::StrCat("a ", call.method == "POST" ? "POST" : "request that changes state",
                      " needs the header X-Tminus-Request: 1, an Authorization header, or "
                      "an Origin of this page");
}

}  // namespace tminus
