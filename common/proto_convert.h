// Conversions between the wire types (tminus.v1) and the domain types.
#pragma once

#include <cstdint>

#include "common/calibration.h"
#include "common/job_counters.h"
#include "common/job_spec.h"
#include "common/process_usage.h"
#include "common/topology.h"
#include "common/worker_identity.h"
#include "google/protobuf/timestamp.pb.h"
#include "tminus/v1/common.pb.h"
#include "tminus/v1/worker.pb.h"

namespace tminus {

ExecutorKind FromProto(v1::Executor executor);
v1::Executor ToProto(ExecutorKind kind);

// False for a kind this version does not know.
bool FromProto(v1::KernelKind proto, KernelKind* out);
v1::KernelKind ToProto(KernelKind kind);
// Null when no kernel is set (the countdown).
std::shared_ptr<const KernelSpec> FromProto(const v1::Kernel& proto);
void ToProto(const KernelSpec& kernel, v1::Kernel* out);

// Copies fields as they are; call ValidateJobSpec on the result.
JobSpec FromProto(const v1::JobSpec& proto);
v1::JobSpec ToProto(const JobSpec& spec);

void ToProto(const JobCounters& counters, v1::JobCounters* out);
// pin_order is not sent.
void ToProto(const Topology& topology, v1::Topology* out);
Topology FromProto(const v1::Topology& topology);
JobCounters FromProto(const v1::JobCounters& counters);
void ToProto(const Calibration& calibration, v1::Calibration* out);
Calibration FromProto(const v1::Calibration& calibration);
// The wire carries CPU time, resident memory, threads, open fds and the
// sample's time; values out of range are clamped (a peer's words, shown on
// the dashboard).
void ToProto(const ProcessUsage& usage, v1::ProcessUsage* out);
ProcessUsage FromProto(const v1::ProcessUsage& usage);

// A Hello's identity fields (its calibration is the worker session's to
// add); the coordinator's reader is FromProto in coordinator/service/convert.h.
void ToProto(const WorkerIdentity& identity, v1::Hello* out);

// Leaves `out` unset for 0 (meaning "never").
void SetTimestamp(int64_t wall_ns, google::protobuf::Timestamp* out);
int64_t TimestampNs(const google::protobuf::Timestamp& ts);

}  // namespace tminus
