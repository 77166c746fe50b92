// Fuzzes the worker protocol's conversion into the scheduler: arbitrary
// WorkerMessage bytes, applied to a session of a scheduler with a job, the
// way the SessionReactor applies them.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "coordinator/core/scheduler.h"
#include "coordinator/service/convert.h"
#include "tminus/v1/worker.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tminus::v1::WorkerMessage message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  tminus::Scheduler scheduler(tminus::RealClock::Get(), tminus::SchedulerOptions{});
  tminus::JobSpec spec;
  spec.n = 1000;
  spec.chunk_count = 10;
  spec.executor = tminus::ExecutorKind::kThreads;
  const tminus::JobId job = *scheduler.Submit(spec, "");
  tminus::WorkerHello hello{{"w", 1, "h", 2, true, true, "v", {}, {}}, {}};
  if (message.has_hello()) hello = tminus::FromProto(message.hello());
  absl::StatusOr<tminus::SessionId> session = scheduler.OpenSession(hello);
  if (!session.ok()) return 0;
  (void)scheduler.AddCredits(*session, 4);
  if (message.has_credit()) (void)scheduler.AddCredits(*session, message.credit().credits());
  if (message.has_results()) {
    std::vector<tminus::ChunkReport> results;
    for (const auto& r : message.results().results()) results.push_back(tminus::FromProto(r));
    (void)scheduler.OnResults(*session, results);
  }
  if (message.has_draining()) (void)scheduler.SetDraining(*session);
  const tminus::JobReport report = *scheduler.GetReport(job);
  if (report.job.decrements_done > spec.n) __builtin_trap();  // never more than n
  if (!scheduler.CheckInvariants().ok()) __builtin_trap();     // leases agree
  scheduler.DrainOutboxes([](tminus::SessionId, tminus::Outbox) {});
  return 0;
}
