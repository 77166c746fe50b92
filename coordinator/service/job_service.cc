#include "coordinator/service/job_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/proto_convert.h"
#include "common/rpc.h"
#include "common/status_macros.h"
#include "coordinator/core/study.h"
#include "coordinator/service/convert.h"
#include "coordinator/store/store.h"
#include "coordinator/service/watch_reactor.h"

namespace tminus {
namespace {

constexpr int kDefaultPageSize = 100;

// A WatchJob refused before it starts.
class RejectedWatch final : public grpc::ServerWriteReactor<v1::WatchJobResponse> {
 public:
  explicit RejectedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};
constexpr int kMaxPageSize = 1000;

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

absl::Status JobServiceImpl::Authorize(grpc::CallbackServerContext* context) const {
  return tokens_->Check(context->client_metadata(), Role::kClient);
}

absl::Status JobServiceImpl::AuthorizeKernel(grpc::CallbackServerContext* context,
                                             const JobSpec& spec) const {
  if (spec.kernel_kind() == KernelKind::kCountdown) return absl::OkStatus();
  absl::Status admin = tokens_->Check(context->client_metadata(), Role::kAdmin);
  if (admin.ok() || admin.code() != absl::StatusCode::kPermissionDenied) return admin;
  return absl::PermissionDeniedError(absl::StrCat(
      "kernel: a ", KernelName(spec.kernel_kind()),
      " job runs the client's code on workers; only admin tokens may submit one "
      "(docs/security.md)"));
}

// A submit or cancel is answered only once it would survive a crash; when
// the store cannot commit, with its error and `consequence`.
grpc::ServerUnaryReactor* JobServiceImpl::ReplyWhenDurable(grpc::CallbackServerContext* context,
                                                           const absl::Status& status,
                                                           const char* consequence) {
  if (!status.ok()) return Reply(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  host_->AfterCommit([reactor, consequence](const absl::Status& saved) {
    if (saved.ok()) {
      reactor->Finish(grpc::Status::OK);
      return;
    }
    reactor->Finish(ToGrpcStatus(
        absl::Status(saved.code(), absl::StrCat(saved.message(), "; ", consequence))));
  });
  return reactor;
}

grpc::ServerUnaryReactor* JobServiceImpl::SubmitJob(grpc::CallbackServerContext* context,
                                                    const v1::SubmitJobRequest* request,
                                                    v1::SubmitJobResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  if (!request->has_spec()) return Reply(context, absl::InvalidArgumentError("spec: required"));
  if (request->spec().has_kernel() &&
      request->spec().kernel().kind_case() == v1::Kernel::KIND_NOT_SET) {
    // A kind this coordinator does not know (or none): never a countdown instead.
    return Reply(context, absl::InvalidArgumentError(
                              "kernel: set python or command, or leave kernel unset for the "
                              "countdown; this coordinator knows no other kind"));
  }
  if (absl::Status admitted = admission_->AdmitSubmit(Admission::ClientOf(context));
      !admitted.ok()) {
    return Reply(context, admitted);
  }
  const JobSpec spec = FromProto(request->spec());
  if (absl::Status denied = AuthorizeKernel(context, spec); !denied.ok()) {
    return Reply(context, denied);
  }
  const absl::Status status = host_->Run([&](Scheduler& s) -> absl::Status {
    absl::StatusOr<JobId> id = s.Submit(spec, request->request_id());
    if (!id.ok()) return id.status();
    ToProto(*s.GetJob(*id), response->mutable_job());
    return absl::OkStatus();
  });
  return ReplyWhenDurable(context, status, "the job was not accepted; submit it again later");
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* context,
                                                 const v1::GetJobRequest* request,
                                                 v1::GetJobResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  const absl::Status status = host_->Run([&](Scheduler& s) -> absl::Status {
    absl::StatusOr<JobView> view = s.GetJob(request->job_id());
    if (!view.ok()) return view.status();
    ToProto(*view, response->mutable_job());
    return absl::OkStatus();
  });
  return Reply(context, status);
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* context,
                                                   const v1::ListJobsRequest* request,
                                                   v1::ListJobsResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return Reply(context, absl::InvalidArgumentError(absl::StrCat(
                              "page_size: must be between 0 and ", kMaxPageSize, ", got ",
                              request->page_size())));
  }
  JobId before = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &before)) {
    return Reply(context, absl::InvalidArgumentError("page_token: not a token this server gave"));
  }
  if (request->newer_than_ms() < 0) {
    return Reply(context, absl::InvalidArgumentError(absl::StrCat(
                              "newer_than_ms: must be 0 (any) or more, got ",
                              request->newer_than_ms())));
  }
  JobFilter filter;
  filter.hide_study_jobs = request->hide_study_jobs();
  for (const int state : request->states()) {
    if (state <= v1::JOB_STATE_UNSPECIFIED || !v1::JobState_IsValid(state)) {
      return Reply(context, absl::InvalidArgumentError(
                                absl::StrCat("states: ", state, " is not a job state")));
    }
    filter.states.push_back(FromProto(static_cast<v1::JobState>(state)));
  }
  if (request->newer_than_ms() > 0) {
    filter.submitted_after_wall_ns =
        RealClock::Get()->WallNs() -
        std::min<int64_t>(request->newer_than_ms(), INT64_MAX / 2'000'000) * 1'000'000;
  }
  const int limit = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  const std::vector<JobView> views =
      host_->Run([&](Scheduler& s) { return s.ListJobs(before, limit + 1, filter); });
  for (size_t i = 0; i < views.size() && static_cast<int>(i) < limit; ++i) {
    ToProto(views[i], response->add_jobs());
  }
  if (static_cast<int>(views.size()) > limit) {
    response->set_next_page_token(absl::StrCat(views[limit - 1].id));
  }
  return Reply(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* context,
                                                    const v1::CancelJobRequest* request,
                                                    v1::CancelJobResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  const absl::Status status = host_->Run([&](Scheduler& s) -> absl::Status {
    RETURN_IF_ERROR(s.Cancel(request->job_id()));
    ToProto(*s.GetJob(request->job_id()), response->mutable_job());
    return absl::OkStatus();
  });
  // Not "cancelled": until a commit saves it, a coordinator that stops
  // (kill -9) forgets the cancel and the job runs on after its restart.
  return ReplyWhenDurable(context, status,
                          "the cancel is NOT saved yet: the job stops here, but a coordinator "
                          "restarted before the store works again runs it on; cancel it again "
                          "then");
}

grpc::ServerWriteReactor<v1::WatchJobResponse>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  if (absl::Status denied = Authorize(context); !denied.ok()) {
    return new RejectedWatch(ToGrpcStatus(denied));
  }
  const std::string client = Admission::ClientOf(context);
  if (absl::Status admitted = admission_->AcquireWatch(client); !admitted.ok()) {
    return new RejectedWatch(ToGrpcStatus(admitted));
  }
  return new WatchReactor(host_, request->job_id(), request->interval_ms(),
                          [admission = admission_, client] { admission->ReleaseWatch(client); });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJobReport(grpc::CallbackServerContext* context,
                                                       const v1::GetJobReportRequest* request,
                                                       v1::GetJobReportResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  const absl::Status status = host_->Run([&](Scheduler& s) -> absl::Status {
    absl::StatusOr<JobReport> report = s.GetReport(request->job_id());
    if (!report.ok()) return report.status();
    ToProto(*report, response->mutable_report());
    return absl::OkStatus();
  });
  return Reply(context, status);
}

grpc::ServerUnaryReactor* JobServiceImpl::ListWorkers(grpc::CallbackServerContext* context,
                                                      const v1::ListWorkersRequest* request,
                                                      v1::ListWorkersResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  (void)request;
  const std::vector<WorkerView> views = host_->Run([](Scheduler& s) { return s.ListWorkers(); });
  for (const WorkerView& view : views) ToProto(view, response->add_workers());
  return Reply(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* JobServiceImpl::DrainWorker(grpc::CallbackServerContext* context,
                                                      const v1::DrainWorkerRequest* request,
                                                      v1::DrainWorkerResponse* response) {
  if (absl::Status denied = tokens_->Check(context->client_metadata(), Role::kAdmin);
      !denied.ok()) {
    return Reply(context, denied);
  }
  if (request->worker_id().empty()) {
    return Reply(context, absl::InvalidArgumentError("worker_id: required"));
  }
  const absl::Status status = host_->Run([&](Scheduler& s) -> absl::Status {
    absl::StatusOr<WorkerView> view = s.SetDrained(request->worker_id(), !request->undrain());
    if (!view.ok()) return view.status();
    ToProto(*view, response->mutable_worker());
    return absl::OkStatus();
  });
  return Reply(context, status);
}

grpc::ServerUnaryReactor* JobServiceImpl::RecordStudy(grpc::CallbackServerContext* context,
                                                      const v1::RecordStudyRequest* request,
                                                      v1::RecordStudyResponse* response) {
  if (absl::Status denied = Authorize(context); !denied.ok()) return Reply(context, denied);
  const StudyRecord study = FromProto(request->study());
  if (absl::Status valid = ValidateStudy(study); !valid.ok()) {
    return Reply(context, absl::InvalidArgumentError(absl::StrCat("study.", valid.message())));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  host_->RecordStudy(study, [reactor, response](const absl::StatusOr<StudyRecord>& kept) {
    if (kept.ok()) *response->mutable_study() = ToProto(*kept);
    reactor->Finish(ToGrpcStatus(kept.status()));
  });
  return reactor;
}

}  // namespace tminus
