// JobService: the gRPC adapter for clients. Each method converts the request,
// calls the scheduler through the host, and converts the answer; the only
// rules here are about the wire (paging tokens, watch intervals).
#pragma once

#include "common/security.h"
#include "coordinator/service/admission.h"
#include "coordinator/service/scheduler_host.h"
#include "tminus/v1/jobs.grpc.pb.h"

namespace tminus {

class JobServiceImpl final : public v1::JobService::CallbackService {
 public:
  JobServiceImpl(SchedulerHost* host, const TokenSet* tokens, Admission* admission)
      : host_(host), tokens_(tokens), admission_(admission) {}

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context,
                                      const v1::SubmitJobRequest* request,
                                      v1::SubmitJobResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request,
                                   v1::GetJobResponse* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const v1::CancelJobRequest* request,
                                      v1::CancelJobResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchJobResponse>* WatchJob(
      grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) override;
  grpc::ServerUnaryReactor* GetJobReport(grpc::CallbackServerContext* context,
                                         const v1::GetJobReportRequest* request,
                                         v1::GetJobReportResponse* response) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext* context,
                                        const v1::ListWorkersRequest* request,
                                        v1::ListWorkersResponse* response) override;
  grpc::ServerUnaryReactor* RecordStudy(grpc::CallbackServerContext* context,
                                        const v1::RecordStudyRequest* request,
                                        v1::RecordStudyResponse* response) override;
  grpc::ServerUnaryReactor* DrainWorker(grpc::CallbackServerContext* context,
                                        const v1::DrainWorkerRequest* request,
                                        v1::DrainWorkerResponse* response) override;

 private:
  grpc::ServerUnaryReactor* ReplyWhenDurable(grpc::CallbackServerContext* context,
                                             const absl::Status& status, const char* consequence);
  // OK, UNAUTHENTICATED or PERMISSION_DENIED for a client call.
  absl::Status Authorize(grpc::CallbackServerContext* context) const;
  // Jobs of a kernel that runs client code (not the countdown) need an
  // admin token when tokens are set: PERMISSION_DENIED otherwise.
  absl::Status AuthorizeKernel(grpc::CallbackServerContext* context, const JobSpec& spec) const;
  SchedulerHost* host_;
  const TokenSet* tokens_;
  Admission* admission_;
};

}  // namespace tminus
