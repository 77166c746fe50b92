// WorkerService: the gRPC adapter for worker sessions. Converts messages and
// forwards them to the SchedulerHost; business rules live in the core.
#pragma once

#include "common/security.h"
#include "coordinator/service/admission.h"
#include "coordinator/service/scheduler_host.h"
#include "tminus/v1/worker.grpc.pb.h"

namespace tminus {

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  WorkerServiceImpl(SchedulerHost* host, const TokenSet* tokens, Admission* admission)
      : host_(host), tokens_(tokens), admission_(admission) {}

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::CoordinatorMessage>* Session(
      grpc::CallbackServerContext* context) override;

 private:
  SchedulerHost* host_;
  const TokenSet* tokens_;
  Admission* admission_;
};

}  // namespace tminus
