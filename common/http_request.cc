#include "common/http_request.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace tminus {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes its byte (a malformed escape stays as sent).
std::string Decode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(plus_is_space && text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

bool HasBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

// The declared body length: -1 when none is declared, -2 when one does
// not parse or two disagree.
int64_t DeclaredLength(const HttpHead& head) {
  int64_t length = -1;
  for (const auto& [name, value] : head.headers) {
    if (!absl::EqualsIgnoreCase(name, "content-length")) continue;
    int64_t this_length = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &this_length) || this_length < 0 ||
        (length >= 0 && this_length != length)) {
      return -2;
    }
    length = this_length;
  }
  return length;
}

// "chunked", another encoding, or "" when none is named.
std::string TransferEncoding(const HttpHead& head) {
  for (const auto& [name, value] : head.headers) {
    if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
    }
  }
  return "";
}

size_t HeadBytes(const HttpHead& head) {
  size_t bytes = head.method.size() + head.target.size() + 11;  // " HTTP/1.1\r\n"
  for (const auto& [name, value] : head.headers) bytes += name.size() + value.size() + 4;
  return bytes;
}

}  // namespace

HttpReply ErrorReply(int status, const std::string& message) {
  HttpReply reply;
  reply.status = status;
  reply.body = absl::StrCat("{\"error\":{\"status\":", status, ",\"message\":\"", message, "\"}}");
  return reply;
}

std::optional<HttpReply> CheckHead(const HttpHead& head) {
  if (head.headers.size() > kMaxHeadLines || HeadBytes(head) > kMaxHeadBytes) {
    return ErrorReply(431, absl::StrCat("request head too large: at most ", kMaxHeadLines,
                                        " lines and ", kMaxHeadBytes / 1024, " KiB"));
  }
  if (head.target.size() > kMaxTargetBytes) {
    return ErrorReply(414, "URI too long (at most 8 KiB)");
  }
  const int64_t length = DeclaredLength(head);
  if (length == -2) return ErrorReply(400, "bad or conflicting Content-Length");
  const std::string encoding = TransferEncoding(head);
  if (!encoding.empty() && encoding != "chunked") {
    return ErrorReply(400, "unsupported Transfer-Encoding (only chunked)");
  }
  // A body must say how long it is: a POST without Content-Length (or
  // chunks) would otherwise pass as an empty one.
  if (HasBody(head.method) && length < 0 && encoding.empty()) {
    return ErrorReply(411, absl::StrCat("a ", head.method,
                                        " needs Content-Length (0 for an empty body)"));
  }
  if (length > static_cast<int64_t>(kMaxBodyBytes)) return BodyTooLarge();
  return std::nullopt;
}

HttpReply BodyTooLarge() { return ErrorReply(413, "payload too large (at most 64 KiB)"); }

void DecodeTarget(const std::string& target, HttpCall* call) {
  const size_t question = target.find('?');
  call->path = Decode(absl::string_view(target).substr(0, question), /*plus_is_space=*/false);
  if (question == std::string::npos) return;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(target).substr(question + 1), '&')) {
    const size_t equals = pair.find('=');
    std::string name = Decode(pair.substr(0, equals), /*plus_is_space=*/true);
    if (name.empty()) continue;
    std::string value = equals == absl::string_view::npos
                            ? std::string()
                            : Decode(pair.substr(equals + 1), /*plus_is_space=*/true);
    call->query.emplace(std::move(name), std::move(value));
  }
}

}  // namespace tminus
