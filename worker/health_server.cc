#include "worker/health_server.h"

#include <grpcpp/server_builder.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/address.h"
#include "common/listener.h"
#include "common/rpc.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tminus {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Check only: the kubelet's grpc probe calls nothing else (Watch answers
// UNIMPLEMENTED).
class WorkerHealth final : public grpc::health::v1::Health::CallbackService {
 public:
  std::atomic<bool> ready{false};

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const HealthCheckRequest* request,
                                  HealthCheckResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (request->service().empty()) {
      response->set_status(HealthCheckResponse::SERVING);
    } else if (request->service() == kWorkerReadinessService) {
      response->set_status(ready ? HealthCheckResponse::SERVING
                                 : HealthCheckResponse::NOT_SERVING);
    } else {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
      return reactor;
    }
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

struct HealthServer::State {
  WorkerHealth service;
  std::unique_ptr<Listener> listener;
  std::unique_ptr<grpc::Server> server;
};

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& listen) {
  absl::StatusOr<HostPort> address = ParseHostPort(listen, "--health-listen", {-1, true});
  if (!address.ok()) return address.status();
  auto state = std::make_unique<State>();
  ListenerOptions limits;
  limits.max_connections = 64;  // probes only
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Bind(*address, "--health-listen", limits);
  if (!listener.ok()) return listener.status();
  state->listener = std::move(*listener);
  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder);
  state->listener->AttachTo(&builder, grpc::InsecureServerCredentials());
  builder.RegisterService(&state->service);
  state->server = builder.BuildAndStart();
  if (state->server == nullptr) {
    return absl::UnavailableError(absl::StrCat("--health-listen: cannot serve on ", listen));
  }
  state->listener->Start();
  return std::unique_ptr<HealthServer>(new HealthServer(std::move(state)));
}

HealthServer::HealthServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HealthServer::~HealthServer() {
  state_->listener->Stop();
  state_->server->Shutdown();
}

int HealthServer::port() const { return state_->listener->port(); }

void HealthServer::SetReady(bool ready) { state_->service.ready = ready; }

}  // namespace tminus
