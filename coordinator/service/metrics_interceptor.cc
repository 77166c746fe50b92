#include "coordinator/service/metrics_interceptor.h"

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "common/clock.h"
#include "google/protobuf/descriptor.h"

namespace tminus {
namespace {

// "/tminus.v1.JobService/SubmitJob" when the process knows that method.
std::string MethodLabel(const char* method) {
  if (method == nullptr || method[0] != '/') return "other";
  const std::string full = absl::StrReplaceAll(method + 1, {{"/", "."}});
  const bool known =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full) != nullptr;
  return known ? std::string(method) : "other";
}

class RpcTimer final : public grpc::experimental::Interceptor {
 public:
  RpcTimer(CoordinatorMetrics* metrics, const char* method)
      : metrics_(metrics), method_(MethodLabel(method)), start_ns_(RealClock::Get()->MonoNs()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto code = static_cast<absl::StatusCode>(methods->GetSendStatus().error_code());
      metrics_->ObserveRpc(method_, absl::StatusCodeToString(code),
                           (RealClock::Get()->MonoNs() - start_ns_) * 1e-9);
    }
    methods->Proceed();
  }

 private:
  CoordinatorMetrics* metrics_;
  std::string method_;
  int64_t start_ns_;
};

}  // namespace

grpc::experimental::Interceptor* RpcMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcTimer(metrics_, info->method());
}

}  // namespace tminus
