// The worker's optional gRPC health endpoint (`--health-listen`), for
// Kubernetes' native grpc probes. The worker itself only dials out; this
// server answers grpc.health.v1 and nothing else:
//   service ""              SERVING while the process runs (liveness)
//   service "tminus.worker" SERVING while a session with the coordinator is
//                           up and the worker is not draining (readiness)
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tminus {

inline constexpr char kWorkerReadinessService[] = "tminus.worker";

class HealthServer {
 public:
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE naming it when it
  // cannot listen there (in use, not an address of this machine).
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& listen);
  ~HealthServer();

  void SetReady(bool ready);
  int port() const;

 private:
  struct State;
  explicit HealthServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tminus
