#include "coordinator/service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/host.h"
#include "common/logging.h"
#include "common/rpc.h"
#include "common/status_macros.h"
#include "coordinator/service/metrics_interceptor.h"

namespace tminus {
namespace {

constexpr absl::Duration kReadinessEvery = absl::Milliseconds(100);

// The dashboard's one action: a cancel, answered once durable.
class HostActions final : public DashboardActions {
 public:
  explicit HostActions(SchedulerHost* host) : host_(host) {}
  absl::StatusOr<JobView> Cancel(JobId id) override {
    absl::StatusOr<JobView> view = host_->Run([id](Scheduler& s) -> absl::StatusOr<JobView> {
      RETURN_IF_ERROR(s.Cancel(id));
      return s.GetJob(id);
    });
    if (!view.ok()) return view;
    absl::Notification saved;
    absl::Status commit;
    host_->AfterCommit([&](const absl::Status& status) {
      commit = status;
      saved.Notify();
    });
    saved.WaitForNotification();
    if (!commit.ok()) return commit;
    return view;
  }

 private:
  SchedulerHost* host_;
};

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
  // The HTTP port's share of the fd limit comes out of the gRPC port's: an
  // HTTP flood then never takes the descriptors gRPC accepts with.
  ListenerOptions grpc_options = options.listener;
  const int http_max_connections =
      options.http_listen.empty()
          ? 0
          : SecondPortConnections(options.http_max_connections, grpc_options.fd_reserve);
  grpc_options.fd_reserve += http_max_connections;
  // The port first: a second coordinator on it fails before it touches a store.
  absl::StatusOr<std::unique_ptr<Listener>> listener =
      Listener::Bind(*address, "--listen", grpc_options);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(options.state_dir);
  if (!store.ok()) return store.status();
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  server->listener_ = std::move(*listener);
  server->http_max_connections_ = http_max_connections;
  server->host_ =
      std::make_unique<SchedulerHost>(RealClock::Get(), options.scheduler, std::move(*store));
  RETURN_IF_ERROR(server->host_->Recover());
  server->tokens_ = options.tokens;
  server->admission_ = std::make_unique<Admission>(options.admission, RealClock::Get());
  server->jobs_ = std::make_unique<JobServiceImpl>(server->host_.get(), &server->tokens_,
                                                   server->admission_.get());
  server->workers_ = std::make_unique<WorkerServiceImpl>(server->host_.get(), &server->tokens_,
                                                         server->admission_.get());

  server->metrics_ = std::make_unique<CoordinatorMetrics>();
  server->host_->set_commit_observer(
      [metrics = server->metrics_.get()](double seconds, bool failed) {
        metrics->ObserveCommit(seconds, failed);
      });
  grpc::ServerBuilder builder;
  ConfigureServerBuilder(&builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> timers;
  timers.push_back(std::make_unique<RpcMetricsFactory>(server->metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(timers));
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
  RETURN_IF_ERROR(server->StartHttp(options));
  return server;
}

absl::Status CoordinatorServer::StartHttp(const ServerOptions& options) {
  publisher_ = std::make_unique<SnapshotPublisher>(host_.get(), metrics_.get(),
                                                   [this] { return ready(); });
  publisher_->Start();
  if (options.http_listen.empty()) return absl::OkStatus();
  absl::StatusOr<HostPort> address =
      ParseHostPort(options.http_listen, "--http-listen", {-1, true});
  if (!address.ok()) return address.status();
  actions_ = std::make_unique<HostActions>(host_.get());
  DashboardRouter::Sources sources;
  sources.snapshot = [this] { return publisher_->Latest(); };
  sources.want = [this](JobId id) { return publisher_->Want(id); };
  sources.metrics = [this] { return metrics_->Text(); };
  sources.actions = actions_.get();
  std::vector<std::string> names = options.http_allowed_hosts;
  names.push_back(address->host);  // a name, or an address (always allowed)
  names.push_back(Hostname());     // what dashboard_url() prints for 0.0.0.0
  router_ = std::make_unique<DashboardRouter>(&tokens_, std::move(sources), RealClock::Get(),
                                              names);
  HttpServerOptions http;
  http.address = *address;
  http.cert_pem = options.tls.cert_pem;
  http.key_pem = options.tls.key_pem;
  // Requests are short (answers come from snapshots); connections past the
  // cap get 503. The cap was fitted to the fd limit together with the gRPC
  // listener's, so the HTTP port never takes the gRPC port's descriptors.
  http.threads = 4;
  http.max_connections = static_cast<size_t>(http_max_connections_);
  absl::StatusOr<std::unique_ptr<HttpServer>> started =
      HttpServer::Start(http, [router = router_.get()](const HttpCall& call) {
        return router->Handle(call);
      });
  if (!started.ok()) return started.status();
  http_ = std::move(*started);
  http_host_ = address->host;
  return absl::OkStatus();
}

std::string CoordinatorServer::dashboard_url() const {
  if (http_ == nullptr) return "";
  const bool any = http_host_ == "0.0.0.0" || http_host_ == "::" || http_host_.empty();
  return absl::StrCat(http_->tls() ? "https://" : "http://",
                      HostPort{any ? Hostname() : http_host_, http_->port()}.ToString(), "/");
}

void CoordinatorServer::PublishSnapshot() { publisher_->PublishOnce(); }

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
  http_.reset();  // no more HTTP calls into what is stopped below
  if (publisher_ != nullptr) publisher_->Stop();
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
