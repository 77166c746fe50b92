// The worker's Prometheus metrics (docs/metrics.md) and its small HTTP
// endpoint (`--http-listen`): GET /metrics and GET /healthz. The counts live
// in the slot pool and the session client as plain atomics; at each scrape
// they are brought into a prometheus-cpp registry and rendered by its
// TextSerializer.
//
// Threading: Handle() may run on several threads at once (one mutex).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/http_server.h"
#include "common/mutex.h"
#include "common/process_metrics.h"
#include "common/security.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "worker/session_client.h"

namespace tminus {

class WorkerMetrics {
 public:
  // `tokens`: who may read /metrics (open when it holds none).
  WorkerMetrics(const SessionClient* client, TokenSet tokens);
  HttpReply Handle(const HttpCall& call);
  std::string Text();

 private:
  struct Follower {
    prometheus::Counter* counter;
    std::function<int64_t()> read;
    int64_t seen = 0;
  };

  const SessionClient* client_;
  const TokenSet tokens_;
  Mutex mu_;
  std::shared_ptr<prometheus::Registry> registry_;
  const ProcessMetrics process_{"worker"};
  std::vector<Follower> followers_ ABSL_GUARDED_BY(mu_);
  prometheus::Gauge* slots_;
  prometheus::Gauge* slots_busy_;
  prometheus::Gauge* connected_;
  prometheus::Gauge* unacked_batches_;
  prometheus::Gauge* unacked_results_;
};

}  // namespace tminus
