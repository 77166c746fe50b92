#include "common/job_spec.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

JobSpec Valid() {
  JobSpec spec;
  spec.n = 1'000;
  spec.chunk_count = 10;
  spec.executor = ExecutorKind::kThreads;
  return spec;
}

void ExpectInvalid(const JobSpec& spec, const std::string& field) {
  EXPECT_THAT(ValidateJobSpec(spec), StatusIs(absl::StatusCode::kInvalidArgument, field));
}

TEST(ValidateJobSpecTest, AcceptsAValidSpec) { EXPECT_TRUE(ValidateJobSpec(Valid()).ok()); }

TEST(ValidateJobSpecTest, NamesTheFieldAndTheLimit) {
  JobSpec spec = Valid();
  spec.n = 0;
  ExpectInvalid(spec, "n: must be between 1 and 9223372036854775807, got 0");
  spec.n = -5;
  ExpectInvalid(spec, "got -5");
  spec = Valid();
  spec.chunk_count = 0;
  ExpectInvalid(spec, "chunk_count: must be between 1 and n (1000), got 0");
  spec.chunk_count = 1'001;
  ExpectInvalid(spec, "chunk_count");
  spec = Valid();
  spec.chunk_count.reset();
  ExpectInvalid(spec, "chunking: set exactly one");
  spec.chunk_size = 0;
  ExpectInvalid(spec, "chunk_size: must be at least 1");
  spec.chunk_count = 5;
  ExpectInvalid(spec, "chunking");
  spec = Valid();
  spec.executor = ExecutorKind::kUnspecified;
  ExpectInvalid(spec, "executor");
  spec = Valid();
  spec.priority = -1;
  ExpectInvalid(spec, "priority: must be between 0 and 1000");
  spec.priority = 1'001;
  ExpectInvalid(spec, "priority");
  spec = Valid();
  spec.max_slots = -1;
  ExpectInvalid(spec, "max_slots");
  spec = Valid();
  spec.name = std::string(129, 'x');
  ExpectInvalid(spec, "name: at most 128 bytes");
  spec = Valid();
  spec.labels[""] = "x";
  ExpectInvalid(spec, "labels");
}

TEST(ValidateJobSpecTest, CapsTheChunkCount) {
  JobSpec spec = Valid();
  spec.n = 1'000'000'000'000;
  spec.chunk_count = kMaxChunkCount + 1;
  ExpectInvalid(spec, "chunk_count: at most 1000000000 chunks per job");
  spec.chunk_count.reset();
  spec.chunk_size = 1;
  ExpectInvalid(spec, "chunk_size: 1 splits n into 1000000000000 chunks; at most 1000000000");
  spec.chunk_size = 1'000;
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
}

TEST(ParseExecutorTest, KnowsTwoNames) {
  ExecutorKind kind;
  EXPECT_TRUE(ParseExecutor("threads", "--executor", &kind).ok());
  EXPECT_EQ(kind, ExecutorKind::kThreads);
  EXPECT_TRUE(ParseExecutor("processes", "--executor", &kind).ok());
  EXPECT_EQ(kind, ExecutorKind::kProcesses);
  EXPECT_THAT(ParseExecutor("gpu", "--executor", &kind),
              StatusIs(absl::StatusCode::kInvalidArgument, "--executor: must be"));
}

}  // namespace
}  // namespace tminus
