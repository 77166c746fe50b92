// The figures of a job report (coordinator/core/figures.h), each from its
// definition, and the scheduler's speedup and "running" from simulated
// workers that report their calibration and their slots.
#include "coordinator/core/figures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/scheduler_sim.h"
#include "worker/calibrator.h"

namespace tminus {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::tminus::testing::ExpectExact;
using ::tminus::testing::Sim;

FigureSums TwoSlotsOneSecond() {
  FigureSums s;
  s.wall_ns = 1'000'000'000;
  s.busy_ns = 2'000'000'000;
  s.cpu_ns = 2'000'000'000;
  s.kernel_ns = 1'900'000'000;
  s.slots = 2;
  s.decrements = 2'000'000'000;
  s.reference_ns = 2'000'000'000;  // 1 G/s on one slot
  return s;
}

TEST(FiguresTest, EachFigureFollowsItsDefinition) {
  const Figures f = ComputeFigures(TwoSlotsOneSecond());
  EXPECT_DOUBLE_EQ(f.parallelism, 2.0);
  EXPECT_DOUBLE_EQ(f.occupancy, 1.0);
  EXPECT_DOUBLE_EQ(f.counting_fraction, 0.95);
  EXPECT_DOUBLE_EQ(f.cpu_parallelism, 2.0);
  EXPECT_DOUBLE_EQ(f.cpu_share, 1.0);
  ASSERT_TRUE(f.speedup.has_value());
  EXPECT_DOUBLE_EQ(*f.speedup, 2.0);
  EXPECT_DOUBLE_EQ(*f.efficiency, 1.0);
  EXPECT_THAT(f.warnings, IsEmpty());
}

TEST(FiguresTest, FourSlotsOnOneCpuShowParallelismFourButSpeedupOne) {
  FigureSums s;
  s.wall_ns = 4'000'000'000;
  s.busy_ns = 16'000'000'000;  // four slots busy all the time...
  s.cpu_ns = 4'000'000'000;    // ...on one CPU
  s.slots = 4;
  s.decrements = 4'000'000'000;
  s.reference_ns = 4'000'000'000;  // what one idle slot needs for them
  const Figures f = ComputeFigures(s);
  EXPECT_DOUBLE_EQ(f.parallelism, 4.0);
  EXPECT_DOUBLE_EQ(f.cpu_share, 0.25);
  EXPECT_DOUBLE_EQ(*f.speedup, 1.0);
  EXPECT_DOUBLE_EQ(*f.efficiency, 0.25);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_THAT(f.warnings[0], HasSubstr("25% of a CPU"));
}

TEST(FiguresTest, NoReferenceForSomeDecrementsMeansNoSpeedup) {
  FigureSums s = TwoSlotsOneSecond();
  s.unreferenced_decrements = 1;
  const Figures f = ComputeFigures(s);
  EXPECT_FALSE(f.speedup.has_value());
  EXPECT_FALSE(f.efficiency.has_value());
  EXPECT_DOUBLE_EQ(f.parallelism, 2.0) << "the other figures stand";
}

TEST(FiguresTest, NothingDoneMeansNoSpeedupAndNoDivisionByZero) {
  const Figures f = ComputeFigures(FigureSums{});
  EXPECT_FALSE(f.speedup.has_value());
  EXPECT_DOUBLE_EQ(f.parallelism, 0);
  EXPECT_DOUBLE_EQ(f.cpu_share, 0);
  EXPECT_THAT(f.warnings, IsEmpty()) << "no busy time: nothing to warn of";
}

TEST(FiguresTest, ZeroCpuOverRealBusyTimeWarns) {
  FigureSums s = TwoSlotsOneSecond();
  s.cpu_ns = 0;
  EXPECT_THAT(ComputeFigures(s).warnings, ::testing::Contains(HasSubstr("0% of a CPU")));
}

TEST(FiguresTest, TooLittleBusyTimeToJudgeTheCpuShare) {
  EXPECT_EQ(CpuShareWarning(kMinBusyForCpuShareNs - 1, 0), "");
  EXPECT_NE(CpuShareWarning(kMinBusyForCpuShareNs, 0), "");
  EXPECT_EQ(CpuShareWarning(100'000'000, 90'000'000), "") << "0.9 is fine";
}

TEST(FiguresTest, OneSlotSpeedupIsTheRateOverTheReference) {
  FigureSums s;
  s.wall_ns = 1'000'000'000;
  s.busy_ns = s.cpu_ns = 1'000'000'000;
  s.slots = 1;
  s.decrements = 900'000'000;
  s.reference_ns = 900'000'000;  // the kernel alone: 1 G/s
  EXPECT_DOUBLE_EQ(*ComputeFigures(s).speedup, 0.9);
}

TEST(FiguresTest, ASpeedupAboveTheSlotsWarnsOfALowReference) {
  FigureSums s = TwoSlotsOneSecond();
  s.reference_ns = 3'000'000'000;
  const Figures f = ComputeFigures(s);
  EXPECT_DOUBLE_EQ(*f.speedup, 3.0);
  EXPECT_THAT(f.warnings, ::testing::Contains(HasSubstr("reference is too low")));
}

// Two slots on two CPUs whose cores ran faster than at calibration (CI saw
// 25%): the speedup is not above the slots, but is above the CPUs used.
TEST(FiguresTest, ASpeedupAboveTheCpusUsedWarnsOfAStaleReference) {
  FigureSums s = TwoSlotsOneSecond();
  s.cpu_ns = 1'800'000'000;
  s.reference_ns = 2'000'000'000;
  const Figures f = ComputeFigures(s);
  EXPECT_DOUBLE_EQ(*f.speedup, 2.0);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_THAT(f.warnings[0], HasSubstr("above the 1.80 CPUs the job used"));
  s.cpu_ns = 1'900'000'000;
  EXPECT_THAT(ComputeFigures(s).warnings, IsEmpty()) << "within 10%";
}

TEST(FiguresTest, TheEtaIsTheRemainderOverTheRateAndNeverOverflows) {
  EXPECT_EQ(EtaNs(1'000'000'000, 0), 0) << "no rate, no ETA";
  EXPECT_EQ(EtaNs(2'000'000'000, 1e9), 2'000'000'000);
  EXPECT_EQ(EtaNs(int64_t{1} << 62, 1e-9), 9'000'000'000'000'000'000);
}

Calibration OneGigaPerSecond() {
  Calibration c;
  c.rate = c.min_rate = c.max_rate = 1.0e9;  // the sim's speed 1.0: a decrement per ns
  c.samples = 5;
  c.cpu_share = 1.0;
  return c;
}

TEST(SchedulerFiguresTest, ACalibratedWorkerGivesASpeedupItsCpusBack) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2, /*speed=*/1.0, /*prefetch=*/0);
  ASSERT_TRUE(sim.scheduler().SetCalibration(w, OneGigaPerSecond()).ok());
  const JobId job = sim.Submit(4'000'000'000, 4);
  sim.Run();
  const JobReport r = *sim.scheduler().GetReport(job);
  ASSERT_TRUE(r.speedup.has_value()) << r.speedup_reference;
  EXPECT_DOUBLE_EQ(*r.speedup, 2.0);
  EXPECT_DOUBLE_EQ(*r.efficiency, 1.0);
  EXPECT_EQ(r.reference_ns, 4'000'000'000);
  EXPECT_THAT(r.speedup_reference, HasSubstr("1 G/s"));
  EXPECT_DOUBLE_EQ(r.workers[0].reference_rate, 1e9);
}

TEST(SchedulerFiguresTest, TimeSharedSlotsShowAWarningAndNoInflatedSpeedup) {
  Sim sim;
  // Four slots that each get a quarter of a CPU: every chunk takes four
  // times as long as on an idle slot.
  const SessionId w = sim.AddWorker("w", 4, /*speed=*/0.25, /*prefetch=*/0);
  sim.worker(w).cpu_share = 0.25;
  ASSERT_TRUE(sim.scheduler().SetCalibration(w, OneGigaPerSecond()).ok());
  const JobId job = sim.Submit(4'000'000'000, 8);
  sim.Run();
  const JobReport r = *sim.scheduler().GetReport(job);
  EXPECT_DOUBLE_EQ(r.parallelism, 4.0);
  EXPECT_DOUBLE_EQ(*r.speedup, 1.0);
  EXPECT_DOUBLE_EQ(r.cpu_share, 0.25);
  EXPECT_THAT(r.warnings, ::testing::Contains(HasSubstr("25% of a CPU")));
}

TEST(SchedulerFiguresTest, AWorkerWithoutCalibrationLeavesTheSpeedupUnset) {
  Sim sim;
  const SessionId calibrated = sim.AddWorker("a", 1, 1.0, 0);
  ASSERT_TRUE(sim.scheduler().SetCalibration(calibrated, OneGigaPerSecond()).ok());
  sim.AddWorker("b", 1, 1.0, 0);
  const JobId job = sim.Submit(4'000'000'000, 8);
  sim.Run();
  ExpectExact(sim.scheduler(), job);
  const JobReport r = *sim.scheduler().GetReport(job);
  EXPECT_FALSE(r.speedup.has_value());
  EXPECT_THAT(r.speedup_reference, HasSubstr("none: no calibration"));
  EXPECT_THAT(r.speedup_reference, HasSubstr("b"));
}

TEST(SchedulerFiguresTest, ABadCalibrationIsRefusedNamingTheField) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 1);
  Calibration c = OneGigaPerSecond();
  c.min_rate = 2e9;
  absl::Status s = sim.scheduler().SetCalibration(w, c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("calibration.decrements_per_second"));
  c = OneGigaPerSecond();
  c.rate = c.max_rate = std::numeric_limits<double>::infinity();
  EXPECT_EQ(sim.scheduler().SetCalibration(w, c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(SchedulerFiguresTest, RunningCountsChunksOnSlotsAndPrefetchedTheRest) {
  Sim sim;
  const SessionId w = sim.AddWorker("w", 2, 1.0, /*prefetch=*/4);
  const JobId job = sim.Submit(60'000'000'000, 600);
  for (int i = 0; i < 50; ++i) {
    sim.Step();
    const JobView view = *sim.scheduler().GetJob(job);
    ASSERT_LE(view.chunks_running, 2) << "two slots";
    if (view.chunks_done > 0 && view.chunks_done < 590) {
      EXPECT_EQ(view.chunks_running, 2);
      EXPECT_EQ(view.chunks_running + view.chunks_prefetched, sim.held(w));
      EXPECT_GT(view.chunks_prefetched, 0);
    }
  }
  EXPECT_EQ(sim.scheduler().SetRunning(w, {{job, 3}}).code(), absl::StatusCode::kInvalidArgument)
      << "three chunks running on two slots";
}

TEST(CalibratorTest, TheRateIsTheFastestSampleAndTheSpreadIsKept) {
  const Calibration c = Summarise({2.0e9, 1.5e9, 2.8e9, 2.7e9, 2.6e9}, 450'000'000, 500'000'000);
  EXPECT_DOUBLE_EQ(c.rate, 2.8e9) << "a ceiling: slower samples are a clock still rising";
  EXPECT_DOUBLE_EQ(c.min_rate, 1.5e9);
  EXPECT_DOUBLE_EQ(c.max_rate, 2.8e9);
  EXPECT_EQ(c.samples, 5);
  EXPECT_DOUBLE_EQ(c.cpu_share, 0.9);
  EXPECT_TRUE(ValidateCalibration(c, "calibration").ok());
  EXPECT_FALSE(Summarise({}, 0, 0).valid());
}

}  // namespace
}  // namespace tminus
