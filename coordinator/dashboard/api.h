// The coordinator's JSON API v1 (docs/api.md, "HTTP API v1") as a plain
// function of an authorised request and the latest snapshot: no sockets, no
// locks, so it is unit-tested and fuzzed directly.
#pragma once

#include "absl/status/statusor.h"
#include "common/http_server.h"
#include "coordinator/dashboard/snapshot.h"

namespace tminus {

// What the API may change (the rest is read from the snapshot).
class DashboardActions {
 public:
  virtual ~DashboardActions() = default;
  // As CancelJob: NOT_FOUND for an unknown id; answered once durable.
  virtual absl::StatusOr<JobView> Cancel(JobId id) = 0;
};

// Answers paths under /api/v1/; 404 for other paths.
HttpReply HandleApi(const HttpCall& call, const DashboardSnapshot& snapshot,
                    DashboardActions& actions);

// {"error": {"status": S, "message": M}} with status S.
HttpReply JsonError(int status, const std::string& message);

}  // namespace tminus
