#include "cli/client.h"

#include "common/text.h"

#include "absl/strings/str_cat.h"
#include "common/rpc.h"

namespace tminus {

JobClient::JobClient(const std::string& coordinator, std::chrono::milliseconds deadline,
                     ClientSecurity security)
    : target_(coordinator),
      deadline_(deadline),
      security_(std::move(security)),
      stub_(v1::JobService::NewStub(MakeSecureChannel(coordinator, security_))) {}

void JobClient::Prepare(grpc::ClientContext* context, bool with_deadline) const {
  if (with_deadline) SetDeadline(context, deadline_);
  Authenticate(context, security_);
}

absl::Status JobClient::Finish(const grpc::Status& status) const {
  return FromGrpcStatus(status);
}

absl::StatusOr<v1::Job> JobClient::Submit(const v1::SubmitJobRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::SubmitJobResponse response;
  absl::Status status = Finish(stub_->SubmitJob(&context, request, &response));
  if (!status.ok()) return status;
  return response.job();
}

absl::StatusOr<v1::Job> JobClient::Get(uint64_t job_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  v1::GetJobResponse response;
  absl::Status status = Finish(stub_->GetJob(&context, request, &response));
  if (!status.ok()) return status;
  return response.job();
}

absl::StatusOr<v1::ListJobsResponse> JobClient::List(int page_size,
                                                     const std::string& page_token) {
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  return List(request);
}

absl::StatusOr<v1::ListJobsResponse> JobClient::List(const v1::ListJobsRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ListJobsResponse response;
  absl::Status status = Finish(stub_->ListJobs(&context, request, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::Job> JobClient::Cancel(uint64_t job_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  v1::CancelJobResponse response;
  absl::Status status = Finish(stub_->CancelJob(&context, request, &response));
  if (!status.ok()) return status;
  return response.job();
}

absl::StatusOr<v1::JobReport> JobClient::Report(uint64_t job_id) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::GetJobReportRequest request;
  request.set_job_id(job_id);
  v1::GetJobReportResponse response;
  absl::Status status = Finish(stub_->GetJobReport(&context, request, &response));
  if (!status.ok()) return status;
  return response.report();
}

absl::StatusOr<v1::ListWorkersResponse> JobClient::Workers() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ListWorkersResponse response;
  absl::Status status = Finish(stub_->ListWorkers(&context, v1::ListWorkersRequest(), &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::Study> JobClient::RecordStudy(const v1::Study& study) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::RecordStudyRequest request;
  *request.mutable_study() = study;
  v1::RecordStudyResponse response;
  absl::Status status = Finish(stub_->RecordStudy(&context, request, &response));
  if (!status.ok()) return status;
  return response.study();
}

absl::StatusOr<v1::WorkerInfo> JobClient::DrainWorker(const std::string& worker_id,
                                                       bool undrain) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::DrainWorkerRequest request;
  request.set_worker_id(worker_id);
  request.set_undrain(undrain);
  v1::DrainWorkerResponse response;
  absl::Status status = Finish(stub_->DrainWorker(&context, request, &response));
  if (!status.ok()) return status;
  return response.worker();
}

absl::StatusOr<v1::WatchJobResponse> JobClient::Watch(
    uint64_t job_id, int interval_ms,
    const std::function<void(const v1::WatchJobResponse&)>& on_update) {
  // No deadline (jobs may run for days); without wait-for-ready the call still
  // fails at once with UNAVAILABLE when the coordinator cannot be reached.
  grpc::ClientContext context;
  Prepare(&context, /*with_deadline=*/false);
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_interval_ms(interval_ms);
  auto reader = stub_->WatchJob(&context, request);
  v1::WatchJobResponse snapshot;
  v1::WatchJobResponse last;
  bool got_any = false;
  while (reader->Read(&snapshot)) {
    on_update(snapshot);
    last = snapshot;
    got_any = true;
  }
  absl::Status status = Finish(reader->Finish());
  if (!status.ok()) return status;
  if (!got_any) return absl::UnavailableError("watch ended without any snapshot");
  return last;
}

std::string DescribeError(const absl::Status& status, const std::string& target) {
  // The message comes from the other end: escaped and cut before a terminal.
  const std::string message = EscapeForLog(status.message(), 2048);
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat("coordinator ", EscapeForLog(target), " is unreachable (", message,
                          "); is tminus-coordinator running there? Set --coordinator or "
                          "TMINUS_COORDINATOR.");
    default:
      return message;
  }
}

}  // namespace tminus
