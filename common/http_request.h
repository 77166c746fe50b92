// The HTTP port's rules for a request, as plain functions over what the
// server library has read (unit-tested without sockets): the limits a
// request must keep, the JSON error replies, and how a request target
// becomes a path and a query.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/http_server.h"

namespace tminus {

inline constexpr size_t kMaxHeadBytes = 32 * 1024;
inline constexpr size_t kMaxHeadLines = 64;
inline constexpr size_t kMaxTargetBytes = 8 * 1024;
inline constexpr size_t kMaxBodyBytes = 64 * 1024;

// A request as far as its head: what is known before its body is read.
struct HttpHead {
  std::string method;
  std::string target;  // as sent: the path and query, still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
};

// {"error":{"status":N,"message":"..."}}; `message` holds no quote or backslash.
HttpReply ErrorReply(int status, const std::string& message);

// The reply that refuses a request from its head alone, or nothing when its
// body (if any) may be read: 431 past kMaxHeadLines header lines or
// kMaxHeadBytes; 414 for a target past kMaxTargetBytes; 400 for a
// Content-Length that does not parse or is sent twice with two values (a
// smuggling attempt), or a Transfer-Encoding other than chunked; 411 for a
// POST, PUT or PATCH that says neither how long its body is nor that it
// comes in chunks; 413 for a body declared longer than kMaxBodyBytes.
std::optional<HttpReply> CheckHead(const HttpHead& head);

// The 413 for a chunked body found too long once read.
HttpReply BodyTooLarge();

// Splits `target` at '?' into call->path (percent-decoded) and call->query
// (pairs split at '&' and the first '=', percent-decoded with '+' as a
// space, empty names dropped).
void DecodeTarget(const std::string& target, HttpCall* call);

}  // namespace tminus
