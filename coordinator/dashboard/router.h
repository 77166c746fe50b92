// The coordinator's HTTP port (docs/api.md, "HTTP API v1"): who may see
// what, the browser login, the page and its static files, the JSON API,
// /metrics and /healthz. A plain function of the request: the snapshot and
// the metrics text come from callbacks that never take the scheduler's lock.
//
// Threading: thread-safe (the HTTP server calls Handle from several threads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "common/mutex.h"
#include "common/security.h"
#include "coordinator/dashboard/api.h"
#include "coordinator/dashboard/request_origin.h"
#include "coordinator/dashboard/snapshot.h"

namespace tminus {

// Browser sessions made by POST /login: random ids, 12 hours each, at most
// kMaxSessions (the oldest goes first).
class HttpSessions {
 public:
  static constexpr int64_t kLifetimeNs = int64_t{12} * 3600 * 1'000'000'000;
  static constexpr size_t kMaxSessions = 10'000;

  explicit HttpSessions(const Clock* clock) : clock_(clock) {}
  std::string Create(TokenRole role);
  TokenRole Find(const std::string& id);
  void Remove(const std::string& id);

 private:
  struct Entry {
    TokenRole role;
    int64_t expires_mono_ns;
  };
  const Clock* clock_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
};

class DashboardRouter {
 public:
  struct Sources {
    std::function<std::shared_ptr<const DashboardSnapshot>()> snapshot;
    // A snapshot with this job's details (asked for: see SnapshotPublisher::Want).
    std::function<std::shared_ptr<const DashboardSnapshot>(JobId)> want;
    std::function<std::string()> metrics;  // Prometheus text format
    DashboardActions* actions = nullptr;
  };

  // `host_names`: the names this port answers to besides IP literals and
  // localhost (RequestOrigin): its own host, the machine's, the flag's.
  DashboardRouter(const TokenSet* tokens, Sources sources, const Clock* clock,
                  const std::vector<std::string>& host_names = {});
  HttpReply Handle(const HttpCall& call);

 private:
  TokenRole RoleOf(const HttpCall& call);
  HttpReply Login(const HttpCall& call);
  HttpReply Logout(const HttpCall& call);
  HttpReply Health();
  HttpReply Protected(const HttpCall& call);

  const TokenSet* tokens_;
  Sources sources_;
  HttpSessions sessions_;
  const RequestOrigin origin_;
};

// The session id in a Cookie header, or "".
std::string SessionCookie(const std::string& cookie_header);
// One field of an application/x-www-form-urlencoded body, decoded.
std::string FormField(const std::string& body, const std::string& name);

}  // namespace tminus
