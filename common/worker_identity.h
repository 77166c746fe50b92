// Who a worker is and what it can run: what its Hello says. One struct on
// both sides of the stream: the worker fills it from its flags
// (worker/session_client.cc) and sends it (ToProto in common/proto_convert.h);
// the coordinator reads it back (FromProto in coordinator/service/convert.h)
// and keeps it in its worker record, its sessions and its views.
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "common/job_spec.h"
#include "common/labels.h"
#include "common/topology.h"

namespace tminus {

struct WorkerIdentity {
  std::string worker_id;
  uint64_t incarnation = 0;  // random per worker process start; never 0 on the wire
  std::string host;
  int32_t slots = 0;
  bool threads = false;  // executors supported
  bool processes = false;
  std::string version;
  Labels labels;      // what selectors match (docs/api.md has the syntax)
  Topology topology;  // pin_order is not sent
  KernelSet kernels = KernelBit(KernelKind::kCountdown);  // it may run (--allow-kernels)

  bool Supports(ExecutorKind kind) const {
    return kind == ExecutorKind::kThreads ? threads : processes;
  }
  bool Allows(KernelKind kind) const { return (kernels & KernelBit(kind)) != 0; }
};

}  // namespace tminus
