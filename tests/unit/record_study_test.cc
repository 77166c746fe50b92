// SchedulerHost::RecordStudy on a fake clock (in-memory store, no threads
// started): a study gets its id and its created time from the host's clock.
#include <gtest/gtest.h>

#include <optional>

#include "coordinator/service/scheduler_host.h"
#include "tests/testing/fake_clock.h"

namespace tminus {
namespace {

using ::tminus::testing::FakeClock;

TEST(RecordStudyTest, AStudysCreatedTimeIsTheHostClocksWallTime) {
  FakeClock clock;
  clock.Advance(42'000'000'000);
  SchedulerHost host(&clock, SchedulerOptions{}, MakeMemoryStore());
  StudyRecord study;
  study.name = "two hosts";
  std::optional<absl::StatusOr<StudyRecord>> kept;
  host.RecordStudy(study, [&kept](const absl::StatusOr<StudyRecord>& s) { kept = s; });
  ASSERT_TRUE(kept.has_value());  // at once: nothing to make durable
  ASSERT_TRUE(kept->ok()) << kept->status();
  EXPECT_EQ((*kept)->created_wall_ns, clock.WallNs());
  EXPECT_EQ((*kept)->name, "two hosts");
  const auto studies = host.Studies();
  ASSERT_EQ(studies.size(), 1u);
  EXPECT_EQ(studies.front()->created_wall_ns, clock.WallNs());
}

TEST(RecordStudyTest, EachStudyTakesTheTimeOfItsOwnRecording) {
  FakeClock clock;
  SchedulerHost host(&clock, SchedulerOptions{}, MakeMemoryStore());
  std::vector<StudyRecord> kept;
  auto keep = [&kept](const absl::StatusOr<StudyRecord>& s) {
    ASSERT_TRUE(s.ok()) << s.status();
    kept.push_back(*s);
  };
  host.RecordStudy(StudyRecord{}, keep);
  const int64_t first = clock.WallNs();
  clock.Advance(3'000'000'000);
  host.RecordStudy(StudyRecord{}, keep);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].created_wall_ns, first);
  EXPECT_EQ(kept[1].created_wall_ns, first + 3'000'000'000);
  EXPECT_EQ(kept[1].id, kept[0].id + 1);
}

}  // namespace
}  // namespace tminus
