// The SQLite store: one file, WAL journal, one transaction per commit.
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/store/store.h"

namespace tminus {
namespace {

constexpr char kApplicationId[] = "tminus-state";

class MemoryStore final : public Store {
 public:
  bool durable() const override { return false; }
  absl::StatusOr<std::vector<JobSnapshot>> LoadJobs() override {
    return std::vector<JobSnapshot>{};
  }
  absl::StatusOr<uint64_t> LoadNextJobId() override { return 1; }
  absl::StatusOr<std::vector<StudyRecord>> LoadStudies() override {
    return std::vector<StudyRecord>{};
  }
  absl::Status Save(const StoreBatch&) override { return absl::OkStatus(); }
};

// Thread-compatible; owns the connection.
class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path, int lock_fd)
      : db_(db), path_(std::move(path)), lock_fd_(lock_fd) {}
  ~SqliteStore() override {
    sqlite3_finalize(upsert_);
    sqlite3_finalize(mark_);
    sqlite3_finalize(study_);
    sqlite3_finalize(delete_);
    sqlite3_finalize(put_source_);
    sqlite3_finalize(drop_source_);
    sqlite3_close(db_);
    close(lock_fd_);
  }

  bool durable() const override { return true; }

  absl::Status Init() {
    // WAL with synchronous=NORMAL: a commit survives the process being killed
    // (what the coordinator must survive); a power cut may lose the last few.
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                            "PRAGMA busy_timeout=5000"}) {
      RETURN_IF_ERROR(Exec(sql));
    }
    RETURN_IF_ERROR(CheckIntegrity());
    if (absl::Status s = Exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT "
                              "NOT NULL);"
                              "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, record "
                              "BLOB NOT NULL);"
                              "CREATE TABLE IF NOT EXISTS studies (id INTEGER PRIMARY KEY, "
                              "record BLOB NOT NULL);"
                              "CREATE TABLE IF NOT EXISTS python_sources (job_id INTEGER "
                              "PRIMARY KEY, source BLOB NOT NULL);");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<int> schema = CheckOrStampMeta();
    if (!schema.ok()) return schema.status();
    if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO jobs (id, record) VALUES (?, ?)", -1,
                           &upsert_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES "
                                "('next_job_id', ?)", -1, &mark_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO studies (id, record) VALUES (?, ?)", -1,
                           &study_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "DELETE FROM jobs WHERE id = ?", -1, &delete_, nullptr) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO python_sources (job_id, source) VALUES "
                                "(?, ?)", -1, &put_source_, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "DELETE FROM python_sources WHERE job_id = ?", -1,
                           &drop_source_, nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
    return *schema == 1 ? UpgradeFromSchema1() : absl::OkStatus();
  }

  absl::StatusOr<std::vector<JobSnapshot>> LoadJobs() override {
    absl::StatusOr<std::vector<JobSnapshot>> jobs = ReadJobs(kStateSchema);
    if (!jobs.ok()) return jobs;
    RETURN_IF_ERROR(AttachPythonSources(*jobs));
    return jobs;
  }

  absl::StatusOr<uint64_t> LoadNextJobId() override {
    sqlite3_stmt* get = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = 'next_job_id'", -1, &get,
                           nullptr) != SQLITE_OK) {
      return Error("reading the job id mark");
    }
    uint64_t next = 1;
    if (sqlite3_step(get) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(get, 0));
      if (text == nullptr || !absl::SimpleAtoi(text, &next) || next == 0) {
        sqlite3_finalize(get);
        return absl::DataLossError(absl::StrCat(path_, ": the job id mark is corrupt"));
      }
    }
    sqlite3_finalize(get);
    return next;
  }

  absl::StatusOr<std::vector<StudyRecord>> LoadStudies() override {
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT id, record FROM studies ORDER BY id", -1, &select,
                           nullptr) != SQLITE_OK) {
      return Error("reading studies");
    }
    std::vector<StudyRecord> studies;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
      v1::Study study;
      const auto* data = static_cast<const char*>(sqlite3_column_blob(select, 1));
      if (!study.ParseFromArray(data, sqlite3_column_bytes(select, 1))) {
        sqlite3_finalize(select);
        return absl::DataLossError(absl::StrCat(path_, ": study row ",
                                                sqlite3_column_int64(select, 0), " is corrupt"));
      }
      studies.push_back(FromProto(study));
    }
    sqlite3_finalize(select);
    if (rc != SQLITE_DONE) return Error("reading studies");
    return studies;
  }

  absl::Status Save(const StoreBatch& batch) override {
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    for (const JobSnapshot& job : batch.jobs) {
      if (!Upsert(upsert_, job.id, EncodeJob(job))) return Abort("saving a job");
      if (!SavePythonSource(job)) return Abort("saving a job's python source");
    }
    for (const StudyRecord& study : batch.studies) {
      if (!Upsert(study_, study.id, ToProto(study).SerializeAsString())) {
        return Abort("saving a study");
      }
    }
    for (const uint64_t id : batch.deleted_jobs) {
      sqlite3_reset(delete_);
      sqlite3_bind_int64(delete_, 1, static_cast<sqlite3_int64>(id));
      if (sqlite3_step(delete_) != SQLITE_DONE || !DropPythonSource(id)) {
        return Abort("deleting a job");
      }
    }
    const uint64_t next_job_id = batch.next_job_id;
    // Every commit writes the mark, so a commit also tells whether the disk
    // takes writes again after it was full.
    const std::string mark = std::to_string(next_job_id);
    sqlite3_reset(mark_);
    sqlite3_bind_text(mark_, 1, mark.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(mark_) != SQLITE_DONE) return Abort("saving the job id mark");
    if (absl::Status s = Exec("COMMIT"); !s.ok()) {
      (void)Exec("ROLLBACK");
      sources_saved_ = sources_before_;  // what the rolled-back commit wrote is gone
      return s;
    }
    sources_before_ = sources_saved_;
    return absl::OkStatus();
  }

 private:
  // A live python job's source, written with its first save only; dropped
  // once the job is terminal (nothing runs it again).
  bool SavePythonSource(const JobSnapshot& job) {
    if (job.spec.kernel_kind() != KernelKind::kPython) return true;
    if (IsTerminal(job.state)) return DropPythonSource(job.id);
    if (sources_saved_.contains(job.id)) return true;
    sqlite3_reset(put_source_);
    sqlite3_bind_int64(put_source_, 1, static_cast<sqlite3_int64>(job.id));
    sqlite3_bind_blob(put_source_, 2, job.spec.kernel->source.data(),
                      static_cast<int>(job.spec.kernel->source.size()), SQLITE_STATIC);
    if (sqlite3_step(put_source_) != SQLITE_DONE) return false;
    sources_saved_.insert(job.id);
    return true;
  }

  bool DropPythonSource(uint64_t id) {
    if (!sources_saved_.contains(id)) return true;
    sqlite3_reset(drop_source_);
    sqlite3_bind_int64(drop_source_, 1, static_cast<sqlite3_int64>(id));
    if (sqlite3_step(drop_source_) != SQLITE_DONE) return false;
    sources_saved_.erase(id);
    return true;
  }

  // Gives each live python job its source back; DATA_LOSS when one is missing.
  absl::Status AttachPythonSources(std::vector<JobSnapshot>& jobs) {
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT job_id, source FROM python_sources", -1, &select,
                           nullptr) != SQLITE_OK) {
      return Error("reading python sources");
    }
    absl::flat_hash_map<uint64_t, std::string> sources;
    while (sqlite3_step(select) == SQLITE_ROW) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(select, 1));
      sources[static_cast<uint64_t>(sqlite3_column_int64(select, 0))] =
          std::string(data == nullptr ? "" : data, static_cast<size_t>(sqlite3_column_bytes(select, 1)));
    }
    sqlite3_finalize(select);
    for (JobSnapshot& job : jobs) {
      if (job.spec.kernel_kind() != KernelKind::kPython || IsTerminal(job.state)) continue;
      auto source = sources.find(job.id);
      if (source == sources.end()) {
        return absl::DataLossError(absl::StrCat(path_, ": job ", job.id,
                                                " runs python but its source is missing"));
      }
      auto kernel = std::make_shared<KernelSpec>(*job.spec.kernel);
      kernel->source = std::move(source->second);
      job.spec.kernel = std::move(kernel);
      sources_saved_.insert(job.id);
    }
    sources_before_ = sources_saved_;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<JobSnapshot>> ReadJobs(int schema) {
    sqlite3_stmt* select = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT id, record FROM jobs ORDER BY id", -1, &select,
                           nullptr) != SQLITE_OK) {
      return Error("reading jobs");
    }
    std::vector<JobSnapshot> jobs;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(select, 1));
      const std::string bytes(data == nullptr ? "" : data,
                              static_cast<size_t>(sqlite3_column_bytes(select, 1)));
      const int64_t row_id = sqlite3_column_int64(select, 0);
      absl::StatusOr<JobSnapshot> job = DecodeJob(bytes, schema);
      if (!job.ok() || job->id != static_cast<uint64_t>(row_id)) {
        sqlite3_finalize(select);
        return absl::DataLossError(absl::StrCat(
            path_, ": job row ", row_id, " is corrupt",
            job.ok() ? " (its id differs)" : absl::StrCat(": ", job.status().message())));
      }
      jobs.push_back(std::move(*job));
    }
    sqlite3_finalize(select);
    if (rc != SQLITE_DONE) return Error("reading jobs");
    return jobs;
  }

  // Every job record re-encoded with jobs.proto's state numbers, and the
  // new schema stamped, in one transaction: a crash leaves schema 1 whole.
  absl::Status UpgradeFromSchema1() {
    absl::StatusOr<std::vector<JobSnapshot>> jobs = ReadJobs(1);
    if (!jobs.ok()) return jobs.status();
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    for (const JobSnapshot& job : *jobs) {
      if (!Upsert(upsert_, job.id, EncodeJob(job))) return Abort("upgrading a job to schema 2");
    }
    const std::string stamp = absl::StrCat(
        "UPDATE meta SET value = '", kStateSchema, "' WHERE key = 'schema_version'");
    if (absl::Status s = Exec(stamp.c_str()); !s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  bool Upsert(sqlite3_stmt* statement, uint64_t id, const std::string& record) {
    sqlite3_reset(statement);
    sqlite3_bind_int64(statement, 1, static_cast<sqlite3_int64>(id));
    sqlite3_bind_blob(statement, 2, record.data(), static_cast<int>(record.size()),
                      SQLITE_TRANSIENT);
    return sqlite3_step(statement) == SQLITE_DONE;
  }

  absl::Status Exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return absl::OkStatus();
    const std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    const int code = sqlite3_errcode(db_);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      return absl::DataLossError(absl::StrCat(path_, " is not a readable tminus state file: ", text));
    }
    return StoreError(code, text);
  }

  absl::Status Error(const char* what) {
    return StoreError(sqlite3_errcode(db_), absl::StrCat(what, ": ", sqlite3_errmsg(db_)));
  }

  // A failed write inside a transaction: its error, after a rollback.
  absl::Status Abort(const char* what) {
    const absl::Status error = Error(what);
    (void)Exec("ROLLBACK");
    sources_saved_ = sources_before_;
    return error;
  }

  absl::Status StoreError(int code, const std::string& text) {
    if (code == SQLITE_FULL) {
      return absl::ResourceExhaustedError(
          absl::StrCat("state store: no space left on device (", path_, ")"));
    }
    return absl::UnavailableError(absl::StrCat("state store: ", path_, ": ", text));
  }

  absl::Status CheckIntegrity() {
    sqlite3_stmt* check = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &check, nullptr) != SQLITE_OK) {
      return absl::DataLossError(absl::StrCat(path_, " is not a readable tminus state file: ",
                                              sqlite3_errmsg(db_)));
    }
    std::string verdict;
    if (sqlite3_step(check) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(check, 0);
      verdict = text != nullptr ? reinterpret_cast<const char*>(text) : "";
    } else {
      verdict = sqlite3_errmsg(db_);
    }
    sqlite3_finalize(check);
    if (verdict != "ok") {
      return absl::DataLossError(absl::StrCat(path_, " failed its integrity check: ", verdict));
    }
    return absl::OkStatus();
  }

  // The schema of the file (stamped kStateSchema when new); DATA_LOSS when
  // it is not a tminus state file of a schema this build reads.
  absl::StatusOr<int> CheckOrStampMeta() {
    sqlite3_stmt* get = nullptr;
    sqlite3_prepare_v2(db_, "SELECT key, value FROM meta", -1, &get, nullptr);
    std::string application, version;
    while (get != nullptr && sqlite3_step(get) == SQLITE_ROW) {
      const std::string key = reinterpret_cast<const char*>(sqlite3_column_text(get, 0));
      const std::string value = reinterpret_cast<const char*>(sqlite3_column_text(get, 1));
      if (key == "application") application = value;
      if (key == "schema_version") version = value;
    }
    sqlite3_finalize(get);
    if (application.empty()) {
      absl::Status stamped =
          Exec(absl::StrCat("INSERT INTO meta VALUES ('application', '", kApplicationId,
                            "'), ('schema_version', '", kStateSchema, "')")
                   .c_str());
      if (!stamped.ok()) return stamped;
      return kStateSchema;
    }
    if (application != kApplicationId ||
        (version != "1" && version != std::to_string(kStateSchema))) {
      return absl::DataLossError(absl::StrCat(path_, " is not a tminus state file of schema 1 to ",
                                              kStateSchema, " (found '", application, "' ",
                                              version, ")"));
    }
    return version == "1" ? 1 : kStateSchema;
  }

  sqlite3* db_;
  std::string path_;
  int lock_fd_;  // holds the state dir's LOCK for this process's life
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* mark_ = nullptr;
  sqlite3_stmt* study_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* put_source_ = nullptr;
  sqlite3_stmt* drop_source_ = nullptr;
  // Jobs whose python source the file holds (after the last commit: before).
  absl::flat_hash_set<uint64_t> sources_saved_;
  absl::flat_hash_set<uint64_t> sources_before_;
};

}  // namespace

std::unique_ptr<Store> MakeMemoryStore() { return std::make_unique<MemoryStore>(); }

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir) {
  if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create --state-dir ", dir, ": ",
                                               strerror(errno)));
  }
  // Two coordinators on one state file would each think they own its jobs.
  const std::string lock_path = dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", lock_path, ": ", strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::FailedPreconditionError(absl::StrCat(
        "--state-dir ", dir, " is in use by another tminus-coordinator"));
  }
  const std::string path = dir + "/tminus.db";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    close(lock_fd);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", message));
  }
  auto store = std::make_unique<SqliteStore>(db, path, lock_fd);
  RETURN_IF_ERROR(store->Init());
  return store;
}

}  // namespace tminus
