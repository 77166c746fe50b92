// Measures the bare countdown on one thread of this worker while none of its
// slots has work: the one-slot reference behind a job's speedup
// (common/calibration.h). After a warm-up of about 3 samples' worth, each
// sample runs about `sample_ns` of the kernel; the rate is the fastest (a
// ceiling), the slowest is kept as the spread. Each sample is
// timed by the thread's CPU clock, so a CPU shared with another process
// lowers the sample's CPU share (reported) but not its rate. A lease that
// arrives mid-sample stops it at once (the pool's work_arrived flag is the
// kernel's cancel flag) and the sample is dropped. Measures at start, then
// again every `refresh_ns` (0: never).
//
// Threading: one thread of its own; the sink is called from it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "common/calibration.h"
#include "common/mutex.h"
#include "worker/slot_pool.h"

namespace tminus {

struct CalibratorOptions {
  int samples = 5;
  int64_t sample_ns = 100'000'000;
  int64_t refresh_ns = 600'000'000'000;
};

// The calibration of kept samples (rates in decrements per CPU-second);
// cpu_share = CPU time over wall time summed over them; the rate is the
// fastest. Empty rates: none.
Calibration Summarise(std::vector<double> rates, int64_t cpu_ns, int64_t wall_ns);

class Calibrator {
 public:
  using Sink = std::function<void(const Calibration&)>;
  Calibrator(SlotPool* pool, CalibratorOptions options, Sink sink);
  ~Calibrator();  // stops a sample in progress and joins

 private:
  void Loop();
  // Measures (again, while the CPU was shared), then tells the sink; false
  // when stopping.
  bool MeasureAlone();
  std::optional<Calibration> Measure();  // none when stopping
  void Sleep(int64_t ns);

  SlotPool* const pool_;
  const CalibratorOptions options_;
  const Sink sink_;
  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tminus
