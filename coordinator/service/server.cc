#include "coordinator/service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/rpc.h"

namespace tminus {

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(
    const ServerOptions& options) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<Store> store;
  if (options.state_dir.empty() || options.state_dir == ":memory:") {
    store = MakeMemoryStore();
  } else {
    absl::StatusOr<std::unique_ptr<Store>> opened = OpenSqliteStore(options.state_dir);
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
  }
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  server->host_ =
      std::make_unique<SchedulerHost>(RealClock::Get(), options.scheduler, std::move(store));
  if (absl::Status recovered = server->host_->Recover(); !recovered.ok()) return recovered;
  server->tokens_ = options.tokens;
  server->admission_ = std::make_unique<Admission>(options.admission);
  server->jobs_ = std::make_unique<JobServiceImpl>(server->host_.get(), &server->tokens_,
                                                   server->admission_.get());
  server->workers_ = std::make_unique<WorkerServiceImpl>(server->host_.get(), &server->tokens_,
                                                         server->admission_.get());

  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder);
  builder.AddListeningPort(options.listen, MakeServerCredentials(options.tls), &server->port_);
  builder.RegisterService(server->jobs_.get());
  builder.RegisterService(server->workers_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               " (address in use or not valid here)"));
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  server->address_ = absl::StrCat(host, ":", server->port_);
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  server->host_->StartHousekeeping();
  return server;
}

void CoordinatorServer::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  host_->CloseAllSessions();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  host_->CommitNow();  // everything accepted is on disk before we exit
}

CoordinatorServer::~CoordinatorServer() {
  if (server_ != nullptr) Shutdown(std::chrono::milliseconds(0));
}

}  // namespace tminus
