#include "worker/metrics.h"

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "prometheus/text_serializer.h"

namespace tminus {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;

HttpReply PlainText(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

}  // namespace

WorkerMetrics::WorkerMetrics(const SessionClient* client, TokenSet tokens)
    : client_(client), tokens_(std::move(tokens)), registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  const PoolStats* stats = &client->pool().stats();
  auto& chunks = BuildCounter().Name("tminus_worker_chunks_total")
                     .Help("Chunks this worker ran to the end, by executor.").Register(r);
  auto& decrements = BuildCounter().Name("tminus_worker_decrements_total")
                         .Help("Decrements this worker did in chunks run to the end, by executor.")
                         .Register(r);
  MutexLock lock(&mu_);
  for (int kind : {0, 1}) {
    const char* executor = kind == 0 ? "threads" : "processes";
    followers_.push_back({&chunks.Add({{"executor", executor}}),
                          [stats, kind] { return stats->chunks[kind].load(); }});
    followers_.push_back({&decrements.Add({{"executor", executor}}),
                          [stats, kind] { return stats->decrements[kind].load(); }});
  }
  followers_.push_back({&BuildCounter().Name("tminus_worker_child_processes_started_total")
                             .Help("Child processes started for the processes executor.")
                             .Register(r).Add({}),
                        [stats] { return stats->children.started.load(); }});
  followers_.push_back({&BuildCounter().Name("tminus_worker_child_processes_lost_total")
                             .Help("Child processes that died or were killed (a stopped chunk).")
                             .Register(r).Add({}),
                        [stats] { return stats->children.lost.load(); }});
  followers_.push_back({&BuildCounter().Name("tminus_worker_reconnects_total")
                             .Help("Sessions with the coordinator after the first one.")
                             .Register(r).Add({}),
                        [client] { return client->reconnects(); }});
  auto gauge = [&r](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(r).Add({});
  };
  slots_ = gauge("tminus_worker_slots", "Slots of this worker.");
  slots_busy_ = gauge("tminus_worker_slots_busy", "Slots running a chunk now.");
  connected_ = gauge("tminus_worker_connected", "1 while a session with the coordinator is up.");
  unacked_batches_ = gauge("tminus_worker_unacked_result_batches",
                           "Result batches sent and not yet acknowledged (made durable).");
  unacked_results_ = gauge("tminus_worker_unacked_results",
                           "Results sent and not yet acknowledged (made durable).");
}

std::string WorkerMetrics::Text() {
  {
    MutexLock lock(&mu_);
    for (Follower& follower : followers_) {
      const int64_t now = follower.read();
      if (now > follower.seen) follower.counter->Increment(static_cast<double>(now - follower.seen));
      follower.seen = std::max(follower.seen, now);
    }
  }
  slots_->Set(client_->slots());
  slots_busy_->Set(client_->pool().running());
  connected_->Set(client_->connected() ? 1 : 0);
  unacked_batches_->Set(static_cast<double>(client_->unacked_batches()));
  unacked_results_->Set(static_cast<double>(client_->unacked_results()));
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& family : process_.Collect()) families.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

HttpReply WorkerMetrics::Handle(const HttpCall& call) {
  if (call.path == "/healthz") {
    return client_->connected() ? PlainText(200, "ok\n") : PlainText(503, "not connected\n");
  }
  if (call.path != "/metrics") return PlainText(404, "no such path; this port serves /metrics and /healthz\n");
  if (call.method != "GET") return PlainText(405, "this path takes GET\n");
  if (!tokens_.open()) {
    const std::string bearer = BearerToken(call.Header("authorization"));
    const bool allowed = !bearer.empty() && tokens_.RoleOf(bearer) != TokenRole::kNone;
    if (!allowed) return PlainText(401, "send 'Authorization: Bearer TOKEN' with a --metrics-token-file token\n");
  }
  HttpReply reply = PlainText(200, Text());
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return reply;
}

}  // namespace tminus
