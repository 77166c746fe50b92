// The saved state's format over time (docs/architecture.md, "The state
// file"): records written before a change must still read as they meant.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "coordinator/store/store.h"
#include "tests/testing/status_matchers.h"
#include "tminus/v1/state.pb.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

// Job records as the 0.3 encoder wrote them (state file schema 1, the state
// numbered by the C++ enum's position), captured from EncodeJob before the
// change: jobs 7 (running), 8 (queued) and 9 (cancelled), each with
// request id "req-old", n 1000 in 100 chunks on processes, name
// "saved by 0.3", 650 decrements done and 2 retries.
const std::string kRunningSchema1(
    "\x08\x07\x12\x07\x72\x65\x71\x2d\x6f\x6c\x64\x1a\x15\x08\xe8\x07\x10\x64\x20\x02"
    "\x3a\x0c\x73\x61\x76\x65\x64\x20\x62\x79\x20\x30\x2e\x33\x20\x01\x30\x80\x80\xa8"
    "\xb1\xe3\x9f\xe7\xcb\x17\x58\x8a\x05\xea\x01\x02\x08\x02",
    54);
const std::string kQueuedSchema1(
    "\x08\x08\x12\x07\x72\x65\x71\x2d\x6f\x6c\x64\x1a\x15\x08\xe8\x07\x10\x64\x20\x02"
    "\x3a\x0c\x73\x61\x76\x65\x64\x20\x62\x79\x20\x30\x2e\x33\x30\x80\x80\xa8\xb1\xe3"
    "\x9f\xe7\xcb\x17\x58\x8a\x05\xea\x01\x02\x08\x02",
    52);
const std::string kCancelledSchema1(
    "\x08\x09\x12\x07\x72\x65\x71\x2d\x6f\x6c\x64\x1a\x15\x08\xe8\x07\x10\x64\x20\x02"
    "\x3a\x0c\x73\x61\x76\x65\x64\x20\x62\x79\x20\x30\x2e\x33\x20\x04\x30\x80\x80\xa8"
    "\xb1\xe3\x9f\xe7\xcb\x17\x58\x8a\x05\xea\x01\x02\x08\x02",
    54);

void ExpectTheOldJob(const JobSnapshot& job) {
  EXPECT_EQ(job.request_id, "req-old");
  EXPECT_EQ(job.spec.n, 1000);
  EXPECT_EQ(job.spec.chunk_count, 100);
  EXPECT_EQ(job.spec.executor, ExecutorKind::kProcesses);
  EXPECT_EQ(job.spec.name, "saved by 0.3");
  EXPECT_EQ(job.submit_wall_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(job.decrements_done, 650);
  EXPECT_EQ(job.counters.retries, 2);
}

TEST(StateFormatTest, ASchema1RecordReadsWithItsOwnNumbers) {
  const std::pair<const std::string*, JobState> old[] = {
      {&kRunningSchema1, JobState::kRunning},
      {&kQueuedSchema1, JobState::kQueued},
      {&kCancelledSchema1, JobState::kCancelled}};
  for (const auto& [bytes, state] : old) {
    absl::StatusOr<JobSnapshot> job = DecodeJob(*bytes, /*schema=*/1);
    TMINUS_ASSERT_OK(job);
    EXPECT_EQ(job->state, state) << job->id;
    ExpectTheOldJob(*job);
  }
}

TEST(StateFormatTest, TheStateIsWrittenWithJobsProtoNumbers) {
  JobSnapshot job;
  job.id = 1;
  for (const auto& [state, number] :
       {std::pair{JobState::kQueued, v1::JOB_STATE_QUEUED},
        std::pair{JobState::kRunning, v1::JOB_STATE_RUNNING},
        std::pair{JobState::kSucceeded, v1::JOB_STATE_SUCCEEDED},
        std::pair{JobState::kFailed, v1::JOB_STATE_FAILED},
        std::pair{JobState::kCancelled, v1::JOB_STATE_CANCELLED}}) {
    job.state = state;
    v1::SavedJob saved;
    ASSERT_TRUE(saved.ParseFromString(EncodeJob(job)));
    EXPECT_EQ(saved.state(), number) << JobStateName(state);
    absl::StatusOr<JobSnapshot> back = DecodeJob(EncodeJob(job));
    TMINUS_ASSERT_OK(back);
    EXPECT_EQ(back->state, state);
  }
}

TEST(StateFormatTest, AnUnknownStateNumberIsRefusedSayingWhich) {
  v1::SavedJob saved;
  saved.set_id(4);
  saved.set_state(9);
  EXPECT_THAT(DecodeJob(saved.SerializeAsString()),
              StatusIs(absl::StatusCode::kDataLoss,
                       "job record 4 has an unknown state number 9 (state file schema 2)"));
  saved.set_state(0);  // JOB_STATE_UNSPECIFIED: never written since schema 2
  EXPECT_THAT(DecodeJob(saved.SerializeAsString()),
              StatusIs(absl::StatusCode::kDataLoss, "unknown state number 0"));
  saved.set_state(5);
  EXPECT_THAT(DecodeJob(saved.SerializeAsString(), /*schema=*/1),
              StatusIs(absl::StatusCode::kDataLoss, "unknown state number 5"));
}

// A state file as 0.3 left it: schema 1, one running job.
void WriteSchema1File(const std::string& dir) {
  ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir, "'").c_str()), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/tminus.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "CREATE TABLE jobs (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
                         "CREATE TABLE studies (id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
                         "INSERT INTO meta VALUES ('application', 'tminus-state'), "
                         "('schema_version', '1'), ('next_job_id', '8');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO jobs VALUES (7, ?)", -1, &insert, nullptr),
            SQLITE_OK);
  sqlite3_bind_blob(insert, 1, kRunningSchema1.data(), static_cast<int>(kRunningSchema1.size()),
                    SQLITE_STATIC);
  EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
  sqlite3_finalize(insert);
  sqlite3_close(db);
}

TEST(StateFormatTest, ASchema1FileIsUpgradedWhenOpenedAndKeepsItsJobs) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "state-format-", getpid());
  WriteSchema1File(dir);
  for (int open = 0; open < 2; ++open) {  // upgraded, then read as schema 2
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    absl::StatusOr<std::vector<JobSnapshot>> jobs = (*store)->LoadJobs();
    TMINUS_ASSERT_OK(jobs);
    ASSERT_EQ(jobs->size(), 1u);
    EXPECT_EQ((*jobs)[0].id, 7u);
    EXPECT_EQ((*jobs)[0].state, JobState::kRunning);
    ExpectTheOldJob((*jobs)[0]);
    EXPECT_EQ(*(*store)->LoadNextJobId(), 8u);
  }
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
}

}  // namespace
}  // namespace tminus
