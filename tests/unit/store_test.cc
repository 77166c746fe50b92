// The SQLite store against real files in a temporary folder.
#include "coordinator/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "coordinator/core/scheduler.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

std::string FreshDir(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "store-", name, "-", getpid());
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  return dir;
}

JobSnapshot SampleJob(JobId id) {
  JobSnapshot s;
  s.id = id;
  s.request_id = absl::StrCat("req-", id);
  s.spec.n = 1'000;
  s.spec.chunk_count = 100;
  s.spec.executor = ExecutorKind::kProcesses;
  s.spec.name = "sample";
  s.state = JobState::kRunning;
  s.submit_wall_ns = 1'700'000'000'000'000'000;
  s.start_wall_ns = s.submit_wall_ns + 5;
  s.elapsed_ns = 123'456;
  s.decrements_done = 650;
  s.completion_base = 64;
  s.completion_words = {0b1011};
  s.completion_size = 67;
  s.busy_ns = 999;
  s.histogram = {{3, 10}, {500, 57}};
  s.histogram_count = 67;
  s.histogram_min = 3;
  s.histogram_max = 800;
  s.counters.retries = 2;
  JobSnapshot::Worker w;
  w.worker_id = "w1";
  w.host = "h1";
  w.slots = 2;
  w.chunks = 67;
  w.decrements = 650;
  w.slot_chunks = {30, 37};
  w.slot_decrements = {300, 350};
  w.slot_busy_ns = {400, 599};
  s.workers.push_back(w);
  return s;
}

TEST(SqliteStoreTest, DeletedJobsDoNotComeBackEvenWhenSavedInTheSameCommit) {
  const std::string dir = FreshDir("retain");
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{SampleJob(1), SampleJob(2)}, 3, {}, {}}));
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{SampleJob(3)}, 4, {}, {1, 3}}));
  }
  auto store = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(store);
  auto jobs = (*store)->LoadJobs();
  TMINUS_ASSERT_OK(jobs);
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].id, 2u);
  EXPECT_EQ(*(*store)->LoadNextJobId(), 4u);  // ids are never reused
}

TEST(SqliteStoreTest, SavedJobsComeBackAfterReopening) {
  const std::string dir = FreshDir("roundtrip");
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    EXPECT_TRUE((*store)->durable());
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{SampleJob(1), SampleJob(2)}, 3, {}, {}}));
    JobSnapshot updated = SampleJob(1);
    updated.state = JobState::kSucceeded;
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{updated}, 3, {}, {}}));
  }
  auto store = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(store);
  auto jobs = (*store)->LoadJobs();
  TMINUS_ASSERT_OK(jobs);
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].state, JobState::kSucceeded);
  EXPECT_EQ((*jobs)[1].request_id, "req-2");
  EXPECT_EQ((*jobs)[1].spec.executor, ExecutorKind::kProcesses);
  EXPECT_EQ((*jobs)[1].completion_words, std::vector<uint64_t>{0b1011});
  EXPECT_EQ((*jobs)[1].histogram.size(), 2u);
  ASSERT_EQ((*jobs)[1].workers.size(), 1u);
  EXPECT_EQ((*jobs)[1].workers[0].slot_busy_ns, (std::vector<int64_t>{400, 599}));
}

TEST(SqliteStoreTest, SecondCoordinatorOnTheSameDirIsRefused) {
  const std::string dir = FreshDir("lock");
  auto first = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(first);
  EXPECT_THAT(OpenSqliteStore(dir), StatusIs(absl::StatusCode::kFailedPrecondition, "in use"));
}

TEST(SqliteStoreTest, CorruptFileStopsWithDataLoss) {
  const std::string dir = FreshDir("corrupt");
  ASSERT_EQ(std::system(absl::StrCat("mkdir -p '", dir, "'").c_str()), 0);
  {
    std::ofstream out(dir + "/tminus.db");
    out << std::string(8192, 'x');  // not an SQLite file at all
  }
  EXPECT_THAT(OpenSqliteStore(dir), StatusIs(absl::StatusCode::kDataLoss, "tminus.db"));
}

TEST(SqliteStoreTest, CorruptJobRecordStopsWithDataLoss) {
  const std::string dir = FreshDir("record");
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{SampleJob(1)}, 2, {}, {}}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/tminus.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE jobs SET record = x'ffffffff'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(store);
  EXPECT_THAT((*store)->LoadJobs(), StatusIs(absl::StatusCode::kDataLoss, "job row 1"));
}

// One number from the state file, by SQL.
int64_t Query(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t value = -1;
  if (sqlite3_open((dir + "/tminus.db").c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

JobSnapshot PythonJob(JobId id, const std::string& source) {
  JobSnapshot s = SampleJob(id);
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kPython;
  kernel->source = source;
  kernel->function = "f";
  kernel->file_name = "f.py";
  s.spec.kernel = kernel;
  return s;
}

TEST(SqliteStoreTest, APythonSourceIsWrittenOnceAndLeavesWithItsJob) {
  const std::string dir = FreshDir("python");
  const std::string source = "def f(s, c):\n    return c\n" + std::string(100'000, '#');
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    for (int save = 0; save < 3; ++save) {  // progress: the record again, not the source
      TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{PythonJob(1, source), PythonJob(2, "x")}, 3, {}, {}}));
    }
  }
  EXPECT_LT(Query(dir, "SELECT length(record) FROM jobs WHERE id = 1"), 2'000);
  EXPECT_EQ(Query(dir, "SELECT count(*) FROM python_sources"), 2);
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    auto jobs = (*store)->LoadJobs();
    TMINUS_ASSERT_OK(jobs);
    ASSERT_EQ(jobs->size(), 2u);
    ASSERT_EQ((*jobs)[0].spec.kernel_kind(), KernelKind::kPython);
    EXPECT_EQ((*jobs)[0].spec.kernel->source, source);
    EXPECT_EQ((*jobs)[0].spec.kernel->function, "f");
    JobSnapshot done = PythonJob(1, source);
    done.state = JobState::kSucceeded;
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{done}, 3, {}, {}}));
    EXPECT_EQ(Query(dir, "SELECT count(*) FROM python_sources"), 1);
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{}, 3, {}, {2}}));
    EXPECT_EQ(Query(dir, "SELECT count(*) FROM python_sources"), 0);
  }
}

TEST(SqliteStoreTest, ALivePythonJobWithoutItsSourceStopsWithDataLoss) {
  const std::string dir = FreshDir("python-lost");
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{{PythonJob(1, "def f(s, c):\n    return c\n")}, 2, {}, {}}));
  }
  EXPECT_EQ(Query(dir, "DELETE FROM python_sources RETURNING job_id"), 1);
  auto store = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(store);
  // Never run as a countdown instead.
  EXPECT_THAT((*store)->LoadJobs(),
              StatusIs(absl::StatusCode::kDataLoss, "job 1 runs python but its source is missing"));
}

TEST(SqliteStoreTest, UnwritableDirIsUnavailable) {
  EXPECT_THAT(OpenSqliteStore("/proc/tminus-cannot-be-here"),
              StatusIs(absl::StatusCode::kUnavailable, "--state-dir"));
}

TEST(SchedulerRestoreTest, RunningJobGoesOnFromItsDoneChunks) {
  ::tminus::testing::FakeClock clock;
  Scheduler before(&clock, SchedulerOptions{});
  JobSpec spec;
  spec.n = 100;
  spec.chunk_count = 10;
  spec.executor = ExecutorKind::kThreads;
  const JobId id = *before.Submit(spec, "r1");
  WorkerHello hello{{"w", 1, "h", 1, true, false, "v", {}, {}}, {}};
  const SessionId session = *before.OpenSession(hello);
  TMINUS_ASSERT_OK(before.AddCredits(session, 3));
  std::vector<ChunkReport> done;
  for (int64_t chunk : {0, 2}) {
    ChunkReport r;
    r.job = id;
    r.chunk = chunk;
    r.attempt = 1;
    r.decrements = 10;
    done.push_back(r);
  }
  TMINUS_ASSERT_OK(before.OnResults(session, done));
  const std::vector<JobSnapshot> saved = before.TakeDirtySnapshots();
  ASSERT_EQ(saved.size(), 1u);

  // "Restart": a new scheduler from the snapshot (via the encoding, as on disk).
  Scheduler after(&clock, SchedulerOptions{});
  auto decoded = DecodeJob(EncodeJob(saved[0]));
  TMINUS_ASSERT_OK(decoded);
  TMINUS_ASSERT_OK(after.Restore({*decoded}));
  EXPECT_EQ(*after.Submit(spec, "r1"), id);  // the request id is remembered
  const SessionId fresh = *after.OpenSession(hello);
  TMINUS_ASSERT_OK(after.AddCredits(fresh, 100));
  std::vector<ChunkReport> rest;
  after.DrainOutboxes([&](SessionId, Outbox outbox) {
    for (const LeaseGrant& lease : outbox.leases) {
      EXPECT_NE(lease.chunk, 0);  // done before the restart: never redone
      EXPECT_NE(lease.chunk, 2);
      ChunkReport r;
      r.job = lease.job;
      r.chunk = lease.chunk;
      r.attempt = lease.attempt;
      r.decrements = lease.count;
      rest.push_back(r);
    }
  });
  EXPECT_EQ(rest.size(), 8u);
  TMINUS_ASSERT_OK(after.OnResults(fresh, rest));
  const JobReport report = *after.GetReport(id);
  EXPECT_EQ(report.job.state, JobState::kSucceeded);
  EXPECT_EQ(report.job.decrements_done, 100);
  EXPECT_EQ(report.workers.size(), 1u);
  EXPECT_EQ(report.workers[0].chunks, 10);
}

}  // namespace
}  // namespace tminus

namespace tminus {
namespace {

// A restart through the real state file: a finished python job comes back
// without its source (not kept), a live one with it, ready to run again.
TEST(SchedulerRestoreTest, PythonJobsComeBackThroughTheStateFile) {
  const std::string dir = FreshDir("python-restart");
  ::tminus::testing::FakeClock clock;
  Scheduler before(&clock, SchedulerOptions{});
  JobSpec spec;
  spec.n = 10;
  spec.chunk_count = 1;
  spec.executor = ExecutorKind::kThreads;
  auto kernel = std::make_shared<KernelSpec>();
  kernel->kind = KernelKind::kPython;
  kernel->source = "def f(s, c):\n    return c\n";
  kernel->function = "f";
  spec.kernel = kernel;
  const JobId finished = *before.Submit(spec, "");
  const JobId live = *before.Submit(spec, "");
  WorkerHello hello{{"w", 1, "h", 1, true, false, "v", {}, {}}, {}};
  hello.kernels = KernelBit(KernelKind::kPython);
  const SessionId session = *before.OpenSession(hello);
  TMINUS_ASSERT_OK(before.AddCredits(session, 1));  // one lease: the first job's chunk
  ChunkReport r;
  r.job = finished;
  r.decrements = 10;
  r.attempt = 1;
  TMINUS_ASSERT_OK(before.OnResults(session, {r}));
  {
    auto store = OpenSqliteStore(dir);
    TMINUS_ASSERT_OK(store);
    TMINUS_ASSERT_OK((*store)->Save(StoreBatch{before.TakeDirtySnapshots(), live + 1, {}, {}}));
  }
  auto store = OpenSqliteStore(dir);
  TMINUS_ASSERT_OK(store);
  auto jobs = (*store)->LoadJobs();
  TMINUS_ASSERT_OK(jobs);
  Scheduler after(&clock, SchedulerOptions{});
  TMINUS_ASSERT_OK(after.Restore(*jobs));
  EXPECT_EQ(after.GetJob(finished)->state, JobState::kSucceeded);
  ASSERT_EQ((*jobs)[1].id, live);
  EXPECT_EQ((*jobs)[1].spec.kernel->source, kernel->source);
}

}  // namespace
}  // namespace tminus
