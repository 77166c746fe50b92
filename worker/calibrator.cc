#include "worker/calibrator.h"

#include <algorithm>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/kernel.h"

namespace tminus {
namespace {

constexpr int64_t kIdlePollNs = 50'000'000;
constexpr uint64_t kFirstCount = uint64_t{1} << 22;  // ~1-2 ms: sizes the samples
constexpr int kTriesForACpuAlone = 3;
constexpr double kWarmUpSamples = 3;
constexpr double kCpuAlone = 0.9;
constexpr int64_t kRetryAfterNs = 1'000'000'000;

}  // namespace

Calibration Summarise(std::vector<double> rates, int64_t cpu_ns, int64_t wall_ns) {
  Calibration c;
  if (rates.empty()) return c;
  std::sort(rates.begin(), rates.end());
  const size_t n = rates.size();
  // The fastest sample: a ceiling. Slower ones are a clock still ramping up
  // or a cache disturbed, never the kernel doing better than it can.
  c.rate = rates.back();
  c.min_rate = rates.front();
  c.max_rate = rates.back();
  c.samples = static_cast<int32_t>(n);
  c.cpu_share = wall_ns > 0 ? static_cast<double>(cpu_ns) / static_cast<double>(wall_ns) : 0;
  return c;
}

Calibrator::Calibrator(SlotPool* pool, CalibratorOptions options, Sink sink)
    : pool_(pool), options_(options), sink_(std::move(sink)) {
  thread_ = std::thread([this] { Loop(); });
}

Calibrator::~Calibrator() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  stop_.store(true);
  pool_->work_arrived().store(true);  // ends a sample in progress
  thread_.join();
}

void Calibrator::Sleep(int64_t ns) {
  MutexLock lock(&mu_);
  mu_.AwaitWithTimeout([this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; },
                       absl::Nanoseconds(ns));
}

void Calibrator::Loop() {
  while (MeasureAlone()) {
    if (options_.refresh_ns <= 0) return;
    Sleep(options_.refresh_ns);
  }
}

bool Calibrator::MeasureAlone() {
  // A measure taken while another process shared the CPU is kept only if
  // no better one comes in a few tries: its rate (per CPU-second) holds,
  // but its CPU share is a warning in every report that leans on it.
  Calibration best;
  for (int attempt = 0; attempt < kTriesForACpuAlone; ++attempt) {
    std::optional<Calibration> c = Measure();
    if (!c) return false;
    if (c->cpu_share > best.cpu_share) best = *c;
    if (best.cpu_share >= kCpuAlone) break;
    Sleep(kRetryAfterNs);
  }
  sink_(best);
  return true;
}

std::optional<Calibration> Calibrator::Measure() {
  std::vector<double> rates;
  int64_t cpu_total = 0;
  int64_t wall_total = 0;
  uint64_t count = kFirstCount;
  bool sized = false;
  bool warmed = false;
  const RealClock* clock = RealClock::Get();
  while (static_cast<int>(rates.size()) < options_.samples) {
    if (stop_.load()) return std::nullopt;
    std::atomic<bool>& work = pool_->work_arrived();
    work.store(false);
    if (!pool_->idle()) {  // a lease queued or running: measure later
      Sleep(kIdlePollNs);
      continue;
    }
    const int64_t wall_start = clock->MonoNs();
    const int64_t cpu_start = ThreadCpuNs();
    const uint64_t done = Countdown(count, &work);
    const int64_t cpu_ns = ThreadCpuNs() - cpu_start;
    const int64_t wall_ns = clock->MonoNs() - wall_start;
    if (done != count || cpu_ns <= 0) continue;  // work came (or a stop): dropped
    const double rate = static_cast<double>(count) * 1e9 / static_cast<double>(cpu_ns);
    if (!sized) {
      // The first run sizes a warm-up of kWarmUpSamples samples' worth (an
      // idle CPU's clock takes a moment to rise: samples read 1.46-2.36 G/s
      // without it), then the samples, each about sample_ns.
      const double per_sample = rate * static_cast<double>(options_.sample_ns) / 1e9;
      count = static_cast<uint64_t>(std::max(1.0, per_sample * kWarmUpSamples));
      sized = true;
      continue;
    }
    if (!warmed) {
      count = static_cast<uint64_t>(std::max(1.0, rate * static_cast<double>(options_.sample_ns) / 1e9));
      warmed = true;
      continue;
    }
    rates.push_back(rate);
    cpu_total += cpu_ns;
    wall_total += wall_ns;
  }
  return Summarise(std::move(rates), cpu_total, wall_total);
}

}  // namespace tminus
