#include "common/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/text.h"

namespace tminus {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": '", EscapeForLog(text, 128), "' is not HOST:PORT: ", why));
}

// What a host name (RFC 1123, plus '_' that some resolvers allow) or an IP
// address is made of; a bracketed IPv6 address may carry a %zone. Anything
// else (a stray quote from a config file) would only ever fail to resolve,
// again and again.
bool HostCharacter(char c, bool bracketed) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
    return true;
  }
  return bracketed && (c == ':' || c == '%');
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, absl::string_view flag,
                                       AddressRules rules) {
  HostPort out;
  absl::string_view port_text;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return Bad(flag, text, "no ']' after an IPv6 address");
    out.host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return Bad(flag, text, "expected ':PORT' after ']'");
    }
    port_text = rest;
  } else {
    const size_t colon = text.rfind(':');
    if (colon != absl::string_view::npos && text.find(':') != colon) {
      return Bad(flag, text, "write an IPv6 address in brackets: [::1]:7070");
    }
    out.host = std::string(text.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return Bad(flag, text, "the host is empty");
  const bool bracketed = absl::StartsWith(text, "[");
  for (char c : out.host) {
    if (!HostCharacter(c, bracketed)) {
      return Bad(flag, text, "the host has a character no host name has");
    }
  }
  if (port_text.empty()) {
    if (rules.default_port < 0) return Bad(flag, text, "the port is missing");
    out.port = rules.default_port;
    return out;
  }
  int port = 0;
  if (!AllDigits(port_text) || port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) ||
      port > 65535 || (port == 0 && !rules.allow_port_zero)) {
    return Bad(flag, text, absl::StrCat("the port must be a number from ",
                                        rules.allow_port_zero ? 0 : 1, " to 65535"));
  }
  out.port = port;
  return out;
}

absl::StatusOr<std::string> ParseDialTarget(absl::string_view text, absl::string_view flag) {
  for (absl::string_view scheme : {"unix:", "unix-abstract:", "dns:", "ipv4:", "ipv6:", "vsock:"}) {
    if (absl::StartsWith(text, scheme)) return std::string(text);
  }
  absl::StatusOr<HostPort> parsed = ParseHostPort(text, flag, {kDefaultPort, false});
  if (!parsed.ok()) return parsed.status();
  return parsed->ToString();
}

}  // namespace tminus
