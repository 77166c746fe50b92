// WorkerService: the gRPC adapter for worker sessions. Converts messages and
// forwards them to the SchedulerHost; business rules live in the core.
#pragma once

#include "coordinator/service/scheduler_host.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus {

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  explicit WorkerServiceImpl(SchedulerHost* host) : host_(host) {}

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  SchedulerHost* host_;
};

}  // namespace tminus
