// Per-client limits checked before a call touches the scheduler: a token
// bucket on submits, a cap on open watch streams per client, a cap on worker
// sessions per host. Over a limit: RESOURCE_EXHAUSTED naming the limit.
//
// Thread-safe. Time comes from the Clock passed in (tests step a fake one).
#pragma once

#include <cstdint>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace tminus {

struct AdmissionLimits {
  double submits_per_second = 200;  // sustained, per client
  double submit_burst = 1000;       // bucket size
  int watches_per_client = 64;
  int sessions_per_host = 256;
};

class Admission {
 public:
  // `clock` must outlive the Admission.
  Admission(AdmissionLimits limits, const Clock* clock) : limits_(limits), clock_(clock) {}

  // Who is calling: its token when it sent one, else its IP address.
  static std::string ClientOf(const grpc::CallbackServerContext* context);
  static std::string HostOf(const grpc::CallbackServerContext* context);

  // RESOURCE_EXHAUSTED when the client's bucket holds less than one submit.
  absl::Status AdmitSubmit(const std::string& client);
  absl::Status AcquireWatch(const std::string& client);
  void ReleaseWatch(const std::string& client);
  absl::Status AcquireSession(const std::string& host);
  void ReleaseSession(const std::string& host);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t refilled_ns = 0;  // the clock's MonoNs
  };

  const AdmissionLimits limits_;
  const Clock* const clock_;
  Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> watches_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tminus
