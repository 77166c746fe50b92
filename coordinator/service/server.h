// A running coordinator: scheduler host, services, health and reflection on
// one gRPC server. Used by tminus-coordinator and by the integration tests.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/listener.h"
#include "common/security.h"
#include "coordinator/core/types.h"
#include "coordinator/service/job_service.h"
#include "common/http_server.h"
#include "coordinator/dashboard/metrics.h"
#include "coordinator/dashboard/router.h"
#include "coordinator/service/scheduler_host.h"
#include "coordinator/service/snapshot_publisher.h"
#include "coordinator/service/worker_service.h"

namespace tminus {

struct ServerOptions {
  std::string listen = "0.0.0.0:7070";
  ListenerOptions listener;
  SchedulerOptions scheduler;
  // Folder of the SQLite state file; "" or ":memory:" keeps state in memory.
  std::string state_dir;
  TokenSet tokens;  // none: open access
  AdmissionLimits admission;
  ServerTls tls;    // none: plaintext
  // HOST:PORT of the dashboard, JSON API and /metrics; "" turns it off.
  std::string http_listen;
  // Host names the HTTP port answers to besides IP literals, localhost, the
  // machine's hostname and http_listen's host (DNS rebinding: RequestOrigin).
  std::vector<std::string> http_allowed_hosts;
  // Connections the HTTP port holds at most; fitted to the fd limit
  // (SecondPortConnections), and the gRPC listener's reserve grows by it.
  int http_max_connections = 256;
};

// Threading: Start and Shutdown from one thread; the rest is gRPC's, but
// for a readiness thread that sets the health status: SERVING while the
// listener accepts and the state store commits.
class CoordinatorServer {
 public:
  // INVALID_ARGUMENT for a malformed --listen address; UNAVAILABLE when the
  // address cannot be bound (in use, not ours) or the state store cannot be
  // opened; DATA_LOSS for a corrupt state file.
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(const ServerOptions& options);
  ~CoordinatorServer();

  int port() const { return port_; }
  // host:port with the port actually bound.
  std::string address() const { return address_; }

  // Health NOT_SERVING, worker streams ended, in-flight calls given until
  // `grace` to finish, then cancelled.
  void Shutdown(std::chrono::milliseconds grace);

  // What readiness reports now.
  bool ready() const;
  const Listener& listener() const { return *listener_; }
  // The HTTP port (0 when off) and the dashboard's URL ("" when off).
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  std::string dashboard_url() const;
  // Publishes a snapshot now (tests: what the HTTP side sees next).
  void PublishSnapshot();

 private:
  CoordinatorServer() = default;
  void WatchReadiness();
  absl::Status StartHttp(const ServerOptions& options);

  TokenSet tokens_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<SchedulerHost> host_;
  std::unique_ptr<JobServiceImpl> jobs_;
  std::unique_ptr<WorkerServiceImpl> workers_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<CoordinatorMetrics> metrics_;
  std::unique_ptr<SnapshotPublisher> publisher_;
  std::unique_ptr<DashboardActions> actions_;
  std::unique_ptr<DashboardRouter> router_;
  std::unique_ptr<HttpServer> http_;
  std::string http_host_;
  int http_max_connections_ = 0;  // fitted at Start
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  bool shut_down_ = false;
  absl::Notification stop_readiness_;
  std::thread readiness_;
};

}  // namespace tminus
