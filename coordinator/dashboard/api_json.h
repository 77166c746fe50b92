// The JSON shapes of the HTTP API v1 (docs/api.md), one function each.
#pragma once

#include <string>

#include "coordinator/dashboard/json.h"
#include "coordinator/dashboard/snapshot.h"

namespace tminus {

const char* JobStateWord(JobState state);
void WriteJob(JsonWriter& out, const JobSummary& job);
void WriteJobView(JsonWriter& out, const JobView& view);
void WriteReport(JsonWriter& out, const JobReport& report);
void WriteWorker(JsonWriter& out, const WorkerView& worker);
void WriteTimeline(JsonWriter& out, JobId id, const JobTimeline& timeline);
void WriteStudy(JsonWriter& out, const StudyRecord& study);
// The live view (snapshot.history): the cluster's last minutes, a worker's
// usage, and the chunk stream (of one worker when `worker` is not empty).
void WriteClusterHistory(JsonWriter& out, const ClusterHistory& history);
void WriteUsageSeries(JsonWriter& out, const ClusterHistory& history, const std::string& worker);
void WriteStream(JsonWriter& out, const DashboardSnapshot& snapshot, const std::string& worker);

}  // namespace tminus
