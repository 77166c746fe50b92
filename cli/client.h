// The client library: JobService calls with deadlines and absl::Status
// errors. Used by the CLI, the tests and the benchmarks.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/security.h"
#include "tminus/v1/jobs.grpc.pb.h"

namespace tminus {

// Thread-safe (gRPC stubs are).
class JobClient {
 public:
  explicit JobClient(const std::string& coordinator,
                     std::chrono::milliseconds deadline = std::chrono::seconds(10),
                     ClientSecurity security = {});

  const std::string& target() const { return target_; }
  absl::StatusOr<v1::Job> Submit(const v1::SubmitJobRequest& request);
  absl::StatusOr<v1::Job> Get(uint64_t job_id);
  absl::StatusOr<v1::ListJobsResponse> List(int page_size, const std::string& page_token);
  absl::StatusOr<v1::ListJobsResponse> List(const v1::ListJobsRequest& request);  // filters
  absl::StatusOr<v1::Job> Cancel(uint64_t job_id);
  absl::StatusOr<v1::JobReport> Report(uint64_t job_id);
  absl::StatusOr<v1::ListWorkersResponse> Workers();
  // Keeps a scaling study at the coordinator (the dashboard shows it).
  absl::StatusOr<v1::Study> RecordStudy(const v1::Study& study);
  // Drains (or undrains) a worker; needs an admin token.
  absl::StatusOr<v1::WorkerInfo> DrainWorker(const std::string& worker_id, bool undrain);
  // Streams snapshots to on_update until the job is terminal; returns the
  // last snapshot. The stream itself has no deadline (jobs may run for days);
  // a broken stream is UNAVAILABLE.
  absl::StatusOr<v1::WatchJobResponse> Watch(
      uint64_t job_id, int interval_ms,
      const std::function<void(const v1::WatchJobResponse&)>& on_update);

 private:
  absl::Status Finish(const grpc::Status& status) const;
  // A context with the deadline (when `with_deadline`) and the token.
  void Prepare(grpc::ClientContext* context, bool with_deadline = true) const;

  std::string target_;
  std::chrono::milliseconds deadline_;
  ClientSecurity security_;
  std::unique_ptr<v1::JobService::Stub> stub_;
};

// A message for people: the coordinator's own message for errors it sent,
// and a clear one when it could not be reached.
std::string DescribeError(const absl::Status& status, const std::string& target);

}  // namespace tminus
