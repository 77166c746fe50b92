#include "cli/default_chunks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>

#include "absl/strings/str_format.h"
#include "cli/output.h"
#include "common/job_spec.h"
#include "common/kernel.h"

namespace tminus {

int64_t DefaultChunkCount(int64_t n, double rate_per_slot, int slots) {
  const double per_chunk = std::max(1.0, rate_per_slot * kDefaultChunkSeconds);
  const double by_time = std::ceil(static_cast<double>(n) / per_chunk);
  const double by_slots = static_cast<double>(kDefaultChunksPerSlot) * std::max(slots, 1);
  const double chunks = std::max(by_time, by_slots);
  const double cap = static_cast<double>(std::min<int64_t>(n, kMaxChunkCount));
  return static_cast<int64_t>(std::clamp(chunks, 1.0, cap));
}

double MeasuredRatePerSlot(const v1::ListWorkersResponse& workers) {
  constexpr int64_t kEnoughBusyNs = 10'000'000;  // 10 ms of counting says something
  double decrements = 0;
  double busy_ns = 0;
  for (const v1::WorkerInfo& w : workers.workers()) {
    decrements += static_cast<double>(w.decrements_done());
    busy_ns += static_cast<double>(w.busy_ns());
  }
  if (busy_ns < kEnoughBusyNs) return 0;
  return decrements / (busy_ns / 1e9);
}

int ConnectedSlots(const v1::ListWorkersResponse& workers) {
  int slots = 0;
  for (const v1::WorkerInfo& w : workers.workers()) {
    if (w.state() == v1::WORKER_STATE_CONNECTED) slots += w.slots();
  }
  return slots;
}

double LocalRatePerThread() {
  using Clock = std::chrono::steady_clock;
  constexpr uint64_t kStep = uint64_t{1} << 22;
  const Clock::time_point start = Clock::now();
  uint64_t done = 0;
  while (Clock::now() - start < std::chrono::milliseconds(20)) done += Countdown(kStep, nullptr);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(done) / seconds;
}

std::string DescribeDefaultChunking(int64_t n, const DefaultChunking& picked) {
  const double per_chunk = static_cast<double>(n) / static_cast<double>(picked.chunks);
  const auto chunk_ns = static_cast<int64_t>(per_chunk / picked.rate_per_slot * 1e9);
  return absl::StrFormat(
      "%d chunks of ~%s decrements, about %s each at %s decrements/s per slot (%s); the rule: "
      "~%.0f ms chunks, at least %d per slot over %d connected slots, at most one per "
      "decrement",
      picked.chunks, FormatSi(per_chunk), FormatDuration(chunk_ns),
      FormatSi(picked.rate_per_slot), picked.rate_source, kDefaultChunkSeconds * 1000,
      kDefaultChunksPerSlot, picked.slots);
}

absl::Status PickDefaultChunking(JobClient& client, JobSpec* spec, std::ostream& note) {
  if (spec->chunk_count.has_value() || spec->chunk_size.has_value()) return absl::OkStatus();
  absl::StatusOr<v1::ListWorkersResponse> workers = client.Workers();
  if (!workers.ok()) return workers.status();
  DefaultChunking picked;
  picked.slots = ConnectedSlots(*workers);
  picked.rate_per_slot = MeasuredRatePerSlot(*workers);
  picked.rate_source = "measured on the cluster";
  if (picked.rate_per_slot <= 0) {
    picked.rate_per_slot = LocalRatePerThread();
    picked.rate_source = "this machine's rate, as the cluster has no history yet";
  }
  picked.chunks = DefaultChunkCount(spec->n, picked.rate_per_slot, picked.slots);
  spec->chunk_count = picked.chunks;
  note << "chunking: " << DescribeDefaultChunking(spec->n, picked)
       << "; --chunks or --chunk-size choose\n";
  return absl::OkStatus();
}

}  // namespace tminus
