// What workers say of their own CPUs: the bare kernel's one-slot rate
// (the reference behind a job's speedup), the chunks on their slots now
// (what "running" counts; leases beyond them wait in the worker's queue),
// and their process's CPU time and memory (the dashboard's worker page).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/core/scheduler.h"

namespace tminus {

void Scheduler::KeepCalibration(WorkerRecord& record, Session& session,
                                const Calibration& calibration) {
  if (calibration.valid()) {
    record.calibration = calibration;
    record.calibrated_mono_ns = clock_->MonoNs() - calibration.age_ns;
  }
  session.reference_rate = record.calibration.rate;
}

absl::Status Scheduler::SetCalibration(SessionId id, const Calibration& calibration) {
  RETURN_IF_ERROR(Touch(id));
  RETURN_IF_ERROR(ValidateCalibration(calibration, "calibration"));
  if (!calibration.valid()) return absl::InvalidArgumentError("calibration: empty");
  Session& session = sessions_[id];
  KeepCalibration(workers_[session.worker], session, calibration);
  return absl::OkStatus();
}

absl::Status Scheduler::SetRunning(SessionId id, std::vector<std::pair<JobId, int32_t>> running) {
  RETURN_IF_ERROR(Touch(id));
  Session& session = sessions_[id];
  int64_t total = 0;
  for (const auto& [job, chunks] : running) {
    if (chunks < 0) return absl::InvalidArgumentError("running.jobs.chunks: must be >= 0");
    total += chunks;
  }
  if (total > session.identity.slots) {
    return absl::InvalidArgumentError(absl::StrCat(
        "running.jobs: ", total, " chunks running on a worker of ", session.identity.slots,
        " slots"));
  }
  session.running = std::move(running);
  return absl::OkStatus();
}

absl::Status Scheduler::SetUsage(SessionId id, const ProcessUsage& usage) {
  RETURN_IF_ERROR(Touch(id));
  WorkerRecord& record = workers_[sessions_[id].worker];
  // Timed by the worker's own clock (when it read /proc, not when the report
  // got here), and at most the CPUs it has (or may have slots, when it said
  // no topology): a peer's numbers, charted.
  const int32_t known = record.hello.topology.logical_cpus;
  const double cpus = known > 0 ? known : kMaxWorkerSlots;
  record.cpu_cores =
      record.usage_reported ? std::min(CpuCores(record.usage, usage), cpus) : 0;
  record.usage = usage;
  record.usage_reported = true;
  return absl::OkStatus();
}

int64_t Scheduler::RunningOn(const Session& session, JobId job, int64_t leased) const {
  for (const auto& [running_job, chunks] : session.running) {
    if (running_job == job) return std::min<int64_t>(chunks, leased);
  }
  return 0;
}

int64_t Scheduler::RunningOf(const Job& job) const {
  int64_t running = 0;
  job.ForEachHolder([&](SessionId id, int32_t held) {
    const auto session = sessions_.find(id);
    if (session != sessions_.end()) running += RunningOn(session->second, job.id(), held);
  });
  return running;
}

}  // namespace tminus
