// Times every gRPC call the coordinator serves, from its arrival to its
// status, into tminus_rpc_duration_seconds{method, code}. Only the methods
// the coordinator serves become label values (others are "other"), so no
// client can grow the label set.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "coordinator/dashboard/metrics.h"

namespace tminus {

class RpcMetricsFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsFactory(CoordinatorMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  CoordinatorMetrics* metrics_;
};

}  // namespace tminus
