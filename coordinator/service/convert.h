// Domain <-> wire conversions for the coordinator's services.
#pragma once

#include <vector>

#include "coordinator/core/report.h"
#include "coordinator/core/types.h"
#include "tminus/v1/jobs.pb.h"
#include "tminus/v1/worker.pb.h"

namespace tminus {

void ToProto(const JobView& view, v1::Job* out);
void ToProto(const JobReport& report, v1::JobReport* out);
void ToProto(const JobProgress& progress, v1::WatchJobResponse* out);
void ToProto(const WorkerView& view, v1::WorkerInfo* out);
void ToProto(const LeaseGrant& lease, v1::Lease* out);

WorkerHello FromProto(const v1::Hello& hello);
ChunkReport FromProto(const v1::ChunkResult& result);

// Requires a valid state other than JOB_STATE_UNSPECIFIED.
JobState FromProto(v1::JobState state);

}  // namespace tminus
