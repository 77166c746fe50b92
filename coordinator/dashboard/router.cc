#include "coordinator/dashboard/router.h"

#include <sys/random.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "coordinator/dashboard/assets.h"

namespace tminus {
namespace {

constexpr char kCookie[] = "tminus_session";

std::string RandomId() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
}

HttpReply Redirect(const std::string& to) {
  HttpReply reply;
  reply.status = 303;
  reply.content_type = "text/plain";
  reply.headers.emplace_back("Location", to);
  return reply;
}

HttpReply Text(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

HttpReply Asset(const EmbeddedFile& file) {
  HttpReply reply;
  reply.content_type = file.content_type;
  reply.body.assign(reinterpret_cast<const char*>(file.data), file.size);
  reply.headers.emplace_back("Cache-Control", "no-cache");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  return reply;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// True for /api/v1/jobs/{id} and /api/v1/jobs/{id}/timeline.
bool DetailOf(absl::string_view path, JobId* id) {
  if (!absl::ConsumePrefix(&path, "/api/v1/jobs/")) return false;
  absl::ConsumeSuffix(&path, "/timeline");
  return !path.empty() && path.size() <= 20 &&
         path.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(path, id) && *id != 0;
}

}  // namespace

std::string SessionCookie(const std::string& cookie_header) {
  for (absl::string_view part : absl::StrSplit(cookie_header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, kCookie) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

std::string FormField(const std::string& body, const std::string& name) {
  for (absl::string_view pair : absl::StrSplit(body, '&')) {
    const size_t equals = pair.find('=');
    if (equals != absl::string_view::npos && UrlDecode(pair.substr(0, equals)) == name) {
      return UrlDecode(pair.substr(equals + 1));
    }
  }
  return "";
}

std::string HttpSessions::Create(TokenRole role) {
  const std::string id = RandomId();
  const int64_t now = clock_->MonoNs();
  MutexLock lock(&mu_);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.expires_mono_ns < oldest->second.expires_mono_ns) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[id] = Entry{role, now + kLifetimeNs};
  return id;
}

TokenRole HttpSessions::Find(const std::string& id) {
  MutexLock lock(&mu_);
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return TokenRole::kNone;
  if (it->second.expires_mono_ns < clock_->MonoNs()) {
    sessions_.erase(it);
    return TokenRole::kNone;
  }
  return it->second.role;
}

void HttpSessions::Remove(const std::string& id) {
  MutexLock lock(&mu_);
  sessions_.erase(id);
}

DashboardRouter::DashboardRouter(const TokenSet* tokens, Sources sources, const Clock* clock,
                                 const std::vector<std::string>& host_names)
    : tokens_(tokens), sources_(std::move(sources)), sessions_(clock), origin_(host_names) {}

TokenRole DashboardRouter::RoleOf(const HttpCall& call) {
  if (tokens_->open()) return TokenRole::kAdmin;
  const std::string bearer = BearerToken(call.Header("authorization"));
  if (!bearer.empty()) return tokens_->RoleOf(bearer);
  const std::string session = SessionCookie(call.Header("cookie"));
  return session.empty() ? TokenRole::kNone : sessions_.Find(session);
}

HttpReply DashboardRouter::Login(const HttpCall& call) {
  const TokenRole role = tokens_->RoleOf(FormField(call.body, "token"));
  if (role != TokenRole::kClient && role != TokenRole::kAdmin) return Redirect("/login?failed=1");
  HttpReply reply = Redirect("/");
  reply.headers.emplace_back(
      "Set-Cookie", absl::StrCat(kCookie, "=", sessions_.Create(role),
                                 "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
                                 call.tls ? "; Secure" : ""));
  return reply;
}

HttpReply DashboardRouter::Logout(const HttpCall& call) {
  sessions_.Remove(SessionCookie(call.Header("cookie")));
  HttpReply reply = Redirect("/login");
  reply.headers.emplace_back("Set-Cookie", absl::StrCat(kCookie, "=; Path=/; Max-Age=0"));
  return reply;
}

HttpReply DashboardRouter::Health() {
  const auto snapshot = sources_.snapshot();
  if (snapshot != nullptr && snapshot->ready) return Text(200, "ok\n");
  return Text(503, "not ready\n");
}

HttpReply DashboardRouter::Protected(const HttpCall& call) {
  if (call.path == "/metrics") {
    if (call.method != "GET") return JsonError(405, "this path takes GET");
    HttpReply reply = Text(200, sources_.metrics());
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
  }
  if (call.path == "/") return Asset(*FindAsset("/"));
  // A job's page asks for its details: the snapshots carry them from now on.
  JobId wanted = 0;
  const auto snapshot = call.method == "GET" && DetailOf(call.path, &wanted) && sources_.want
                            ? sources_.want(wanted)
                            : sources_.snapshot();
  if (snapshot == nullptr) return JsonError(503, "the coordinator is starting");
  return HandleApi(call, *snapshot, *sources_.actions);
}

HttpReply DashboardRouter::Handle(const HttpCall& call) {
  if (call.path == "/healthz") return Health();  // probes: nothing to read or change
  // Before the tokens, in every mode: with none, this is all that keeps
  // another site's page from the port.
  if (const std::string refused = origin_.Refusal(call); !refused.empty()) {
    return JsonError(403, refused);
  }
  if (call.path == "/login") {
    if (call.method == "POST") return Login(call);
    return Asset(*FindAsset("/login"));
  }
  if (call.path == "/logout" && call.method == "POST") return Logout(call);
  if (absl::StartsWith(call.path, "/static/")) {
    const EmbeddedFile* file = FindAsset(call.path);
    return file != nullptr ? Asset(*file) : JsonError(404, "no such file");
  }
  const bool known = call.path == "/" || call.path == "/metrics" ||
                     absl::StartsWith(call.path, "/api/");
  if (!known) return JsonError(404, "no such path");
  const TokenRole role = RoleOf(call);
  if (role == TokenRole::kNone) {
    if (call.path == "/") return Redirect("/login");
    return JsonError(401, "send 'Authorization: Bearer TOKEN' with a client token, or log in");
  }
  if (role == TokenRole::kWorker) return JsonError(403, "a worker token cannot use this");
  return Protected(call);
}

}  // namespace tminus
