#include "coordinator/service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/rpc.h"

namespace tminus {
namespace {

constexpr absl::Duration kReadinessEvery = absl::Milliseconds(100);

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& state_dir) {
  if (state_dir.empty() || state_dir == ":memory:") return MakeMemoryStore();
  return OpenSqliteStore(state_dir);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(
    const ServerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  absl::StatusOr<HostPort> address = ParseHostPort(options.listen, "--listen", {-1, true});
  if (!address.ok()) return address.status();
  // The port first: a second coordinator on it fails before it touches a store.
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Bind(*address, "--listen", options.listener);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(options.state_dir);
  if (!store.ok()) return store.status();
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  server->listener_ = std::move(*listener);
  server->host_ =
      std::make_unique<SchedulerHost>(RealClock::Get(), options.scheduler, std::move(*store));
  if (absl::Status recovered = server->host_->Recover(); !recovered.ok()) return recovered;
  server->tokens_ = options.tokens;
  server->admission_ = std::make_unique<Admission>(options.admission);
  server->jobs_ = std::make_unique<JobServiceImpl>(server->host_.get(), &server->tokens_,
                                                   server->admission_.get());
  server->workers_ = std::make_unique<WorkerServiceImpl>(server->host_.get(), &server->tokens_,
                                                         server->admission_.get());

  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder);
  server->listener_->AttachTo(&builder, MakeServerCredentials(options.tls));
  builder.RegisterService(server->jobs_.get());
  builder.RegisterService(server->workers_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("--listen ", options.listen, ": cannot serve"));
  }
  server->port_ = server->listener_->port();
  server->address_ = HostPort{address->host, server->port_}.ToString();
  server->listener_->Start();
  server->host_->StartHousekeeping();
  server->readiness_ = std::thread([raw = server.get()] { raw->WatchReadiness(); });
  return server;
}

bool CoordinatorServer::ready() const {
  return listener_->accepting() && host_->store_healthy();
}

void CoordinatorServer::WatchReadiness() {
  int last = -1;
  do {
    const int now = ready() ? 1 : 0;
    if (now != last) {
      server_->GetHealthCheckService()->SetServingStatus(now == 1);
      if (last != -1) {
        Logger("coordinator")->info("readiness: {}", now == 1 ? "SERVING" : "NOT_SERVING");
      }
      last = now;
    }
  } while (!stop_readiness_.WaitForNotificationWithTimeout(kReadinessEvery));
}

void CoordinatorServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  stop_readiness_.Notify();
  if (readiness_.joinable()) readiness_.join();
  server_->GetHealthCheckService()->SetServingStatus(false);
  listener_->Stop();
  host_->CloseAllSessions();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  host_->CommitNow();  // everything accepted is on disk before we exit
}

CoordinatorServer::~CoordinatorServer() {
  if (server_ != nullptr) Shutdown(std::chrono::milliseconds(0));
}

}  // namespace tminus
