// Fuzzes the state loader: arbitrary bytes as one saved job record (what the
// coordinator reads back from its state file), then restored into a fresh
// scheduler and reported on. Bad records must be refused, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/clock.h"
#include "coordinator/core/scheduler.h"
#include "coordinator/store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tminus::JobSnapshot> job = tminus::DecodeJob(bytes);
  if (!job.ok()) return 0;
  if (job->completion_words.size() > 4096 || job->workers.size() > 64) return 0;  // keep it fast
  tminus::Scheduler scheduler(tminus::RealClock::Get(), tminus::SchedulerOptions{});
  if (!scheduler.Restore({*job}).ok()) return 0;
  (void)scheduler.GetReport(job->id);
  (void)scheduler.GetProgress(job->id);
  (void)scheduler.TakeDirtySnapshots();
  return 0;
}
