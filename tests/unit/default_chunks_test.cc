// The CLI's default chunking rule and its flag-named errors (issue 12).
#include <gtest/gtest.h>

#include "cli/default_chunks.h"
#include "cli/output.h"
#include "cli/spec_flags.h"

namespace tminus {
namespace {

TEST(DefaultChunksTest, ChunksOfAboutATenthOfASecondAtTheMeasuredRate) {
  // 1e9 decrements/s per slot: 100 ms is 1e8 decrements; 4e10 / 1e8 = 400.
  EXPECT_EQ(DefaultChunkCount(40'000'000'000, 1e9, 2), 400);
}

TEST(DefaultChunksTest, AtLeastFourChunksPerSlotForSmallJobs) {
  EXPECT_EQ(DefaultChunkCount(1'000'000'000, 1e9, 16), 64);
  EXPECT_EQ(DefaultChunkCount(1'000'000'000, 1e9, 0), 10);  // no workers yet: time rule
}

TEST(DefaultChunksTest, NeverMoreChunksThanDecrementsOrTheJobLimit) {
  EXPECT_EQ(DefaultChunkCount(3, 1e9, 8), 3);
  EXPECT_EQ(DefaultChunkCount(1, 1e9, 1), 1);
  EXPECT_EQ(DefaultChunkCount(int64_t{1} << 62, 1.0, 1), kMaxChunkCount);
}

TEST(DefaultChunksTest, TheRateComesFromWhatWorkersDidOrIsUnknown) {
  v1::ListWorkersResponse workers;
  EXPECT_EQ(MeasuredRatePerSlot(workers), 0);
  v1::WorkerInfo* w = workers.add_workers();
  w->set_state(v1::WORKER_STATE_CONNECTED);
  w->set_slots(4);
  w->set_decrements_done(1'000'000);
  w->set_busy_ns(1'000'000);  // 1 ms: too little to say
  EXPECT_EQ(MeasuredRatePerSlot(workers), 0);
  w->set_decrements_done(2'000'000'000);
  w->set_busy_ns(1'000'000'000);
  EXPECT_DOUBLE_EQ(MeasuredRatePerSlot(workers), 2e9);
  EXPECT_EQ(ConnectedSlots(workers), 4);
}

TEST(SpecFlagsTest, ErrorsNameTheFlagNotTheProtoField) {
  EXPECT_EQ(WithFlagNames(absl::InvalidArgumentError("chunk_count: must be between 1 and n"))
                .message(),
            "--chunks: must be between 1 and n");
  EXPECT_EQ(WithFlagNames(absl::InvalidArgumentError("max_slots_per_worker: too many"))
                .message(),
            "--max-slots-per-worker: too many");
  EXPECT_EQ(WithFlagNames(absl::InvalidArgumentError("spec.chunk_size: at least 1")).message(),
            "--chunk-size: at least 1");
  EXPECT_EQ(WithFlagNames(absl::InvalidArgumentError("nothing: else")).message(),
            "nothing: else");
}

TEST(SpecFlagsTest, NIsCheckedFirstAndChunkingMayBeLeftToTheDefault) {
  JobSpec spec;
  EXPECT_EQ(ParseSizeFlags("0", "", "", &spec).message(), "--n: must be at least 1, got 0");
  ASSERT_TRUE(ParseSizeFlags("4e9", "", "", &spec).ok());
  EXPECT_FALSE(spec.chunk_count.has_value() || spec.chunk_size.has_value());
  EXPECT_EQ(ParseSizeFlags("100", "2", "5", &spec).message(),
            "give at most one of --chunks and --chunk-size");
}

TEST(SpecFlagsTest, TimeLimitsReadAsDurationsOrSeconds) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseDurationFlag("1h30m", "--time-limit", &ms).ok());
  EXPECT_EQ(ms, 5'400'000);
  ASSERT_TRUE(ParseDurationFlag("45", "--time-limit", &ms).ok());
  EXPECT_EQ(ms, 45'000);
  ASSERT_TRUE(ParseDurationFlag("", "--time-limit", &ms).ok());
  EXPECT_EQ(ms, 0);
  EXPECT_EQ(ParseDurationFlag("soon", "--since", &ms).message().rfind("--since: 'soon' is not", 0), 0u);
  EXPECT_FALSE(ParseDurationFlag("-5s", "--time-limit", &ms).ok());
}

TEST(OutputTest, CsvCarriesRawNumbersAndTablesTheUnits) {
  Table table({{"ELAPSED", "elapsed_seconds"}, {"CHUNKS", ""}, {"", "chunks_done"}});
  table.AddRow({Seconds(1'500'000'000), "3/4", Int(3)});
  std::ostringstream csv, aligned;
  table.PrintCsv(csv);
  table.PrintAligned(aligned);
  EXPECT_EQ(csv.str(), "elapsed_seconds,chunks_done\n1.5,3\n");
  EXPECT_EQ(aligned.str(), "ELAPSED  CHUNKS\n1.500 s  3/4\n");
}

}  // namespace
}  // namespace tminus
