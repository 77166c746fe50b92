// Placement and the scaling study across hosts with CPUs of their own
// (issue 13): network-namespace hosts, each pinned to one CPU with a cpuset
// cgroup (taskset where cgroups cannot be made). Checks the shape of a
// study, never its speed: every point exact, each job on the hosts its
// placement names. And a CPU hog on a worker's core must not make the
// report blame tminus: the counting fraction holds, the wall agrees with a
// stopwatch. Skipped where namespaces cannot be made (a failure in CI).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/multihost/netns_hosts.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus::testing {
namespace {

constexpr int kCoordinatorHost = 1;  // and the CLI
constexpr int kHostA = 2;            // CPU 0
constexpr int kHostB = 3;            // CPU 1 (CPU 0 on a 1-CPU machine)

using Row = std::map<std::string, std::string>;

std::vector<Row> ParseCsv(const std::string& csv) {
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  std::vector<Row> rows;
  if (lines.empty()) return rows;
  const std::vector<std::string> keys = absl::StrSplit(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    Row row;
    for (size_t k = 0; k < keys.size() && k < cells.size(); ++k) row[keys[k]] = cells[k];
    rows.push_back(row);
  }
  return rows;
}

double Number(const Row& row, const std::string& key) {
  double value = -1;
  const auto it = row.find(key);
  if (it == row.end() || !absl::SimpleAtod(it->second, &value)) return -1;
  return value;
}

class PlacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto net = NetnsHosts::Create("p", 3);
    if (!net.ok()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << net.status().ToString();
      GTEST_SKIP() << "multi-host tests skipped: " << net.status().message();
    }
    net_ = std::move(*net);
    const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    std::string how;
    ASSERT_TRUE(net_->PinHost(kHostA, "0", &how).ok());
    ASSERT_TRUE(net_->PinHost(kHostB, cpus > 1 ? "1" : "0").ok());
    std::cerr << "hosts pinned with " << how << "\n";
    dir_ = absl::StrCat(::testing::TempDir(), "tminus-placement-", getpid());
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    const std::string coordinator = net_->Address(kCoordinatorHost) + ":7070";
    ASSERT_TRUE(net_->Start(kCoordinatorHost,
                            {Bin("tminus-coordinator"), "--listen", coordinator,
                             "--http-listen", "", "--state-dir", dir_ + "/state"},
                            dir_ + "/coordinator.log").ok());
    for (auto [host, name, zone] : {std::tuple{kHostA, "wa", "a"}, std::tuple{kHostB, "wb", "b"}}) {
      ASSERT_TRUE(net_->Start(host,
                              {Bin("tminus-worker"), "--coordinator", coordinator, "--name", name,
                               "--slots", "1", "--label", absl::StrCat("host=node-", zone),
                               "--label", absl::StrCat("zone=", zone)},
                              absl::StrCat(dir_, "/", name, ".log")).ok());
    }
    ASSERT_TRUE(WaitFor([&] { return Workers().size() >= 2; }, std::chrono::seconds(30),
                        "the workers to join", std::chrono::milliseconds(100)));
  }

  // Stops the hosts (and every process on them), then removes the folder,
  // also after a failure; TMINUS_KEEP_TEST_DIRS=1 keeps it for a look.
  void TearDown() override {
    net_.reset();
    if (!dir_.empty() && std::getenv("TMINUS_KEEP_TEST_DIRS") == nullptr) {
      std::system(("rm -rf " + dir_).c_str());
    }
  }

  static std::string Bin(const std::string& name) {
    return std::string(TMINUS_BIN_DIR) + "/" + name;
  }

  std::pair<int, std::string> Cli(std::vector<std::string> args,
                                  std::chrono::seconds limit = std::chrono::seconds(120)) {
    std::vector<std::string> argv = {Bin("tminus"), "--coordinator",
                                     net_->Address(kCoordinatorHost) + ":7070"};
    argv.insert(argv.end(), args.begin(), args.end());
    return net_->Run(kCoordinatorHost, argv, absl::StrCat(dir_, "/cli-", ++calls_, ".out"), limit);
  }

  std::vector<Row> Workers() {
    std::vector<Row> connected;
    for (const Row& row : ParseCsv(Cli({"workers", "-o", "csv"}).second)) {
      if (row.count("state") && row.at("state") == "connected") connected.push_back(row);
    }
    return connected;
  }

  // Worker ids that ran accepted chunks of the job.
  std::set<std::string> RanOn(const std::string& job) {
    std::set<std::string> names;
    const std::string json = Cli({"report", job, "-o", "json"}).second;
    const std::string key = "\"worker_id\": \"";
    for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
      const size_t start = at + key.size();
      names.insert(json.substr(start, json.find('"', start) - start));
    }
    return names;
  }

  // The CSV report of a job, as a row.
  Row ReportOf(const std::string& job) {
    const std::vector<Row> rows = ParseCsv(Cli({"report", job, "-o", "csv"}).second);
    return rows.empty() ? Row{} : rows[0];
  }

  // The table report warns that the slots got too little of a CPU.
  bool WarnsOfCpuShare(const std::string& job) {
    const std::string text = Cli({"report", job}).second;
    const bool warns = text.find("warning: the slots got") != std::string::npos;
    if (!warns) std::cerr << text;
    return warns;
  }

  static std::string JobOf(const std::string& submit_output) {
    const size_t at = submit_output.find("job ");
    return submit_output.substr(at + 4, submit_output.find(':', at) - at - 4);
  }

  // The last job of the first point of the study written to dir_/tag.
  std::string LastJob(const std::string& tag) {
    const std::string json = ReadFile(dir_ + "/" + tag + "/scale.json");
    const size_t ids = json.find("\"job_ids\": [") + 12;
    std::string list = json.substr(ids, json.find(']', ids) - ids);
    return list.substr(list.rfind(' ') == std::string::npos ? 0 : list.rfind(' ') + 1);
  }

  // Waits until every named worker has measured its bare kernel (the
  // one-slot reference of a speedup).
  void AwaitCalibrated(const std::set<std::string>& names) {
    ASSERT_TRUE(WaitFor(
        [&] {
          std::set<std::string> calibrated;
          for (const Row& row : Workers()) {
            if (!row.at("calibrated_decrements_per_second").empty()) {
              calibrated.insert(row.at("worker_id"));
            }
          }
          return std::includes(calibrated.begin(), calibrated.end(), names.begin(), names.end());
        },
        std::chrono::seconds(60), "the workers to calibrate", std::chrono::milliseconds(200)));
  }

  std::unique_ptr<NetnsHosts> net_;
  std::string dir_;
  int calls_ = 0;
};

TEST_F(PlacementTest, EachHostSeesItsOwnCpuAndSelectorsPlaceJobs) {
  for (const Row& row : Workers()) EXPECT_EQ(row.at("cpus"), "1") << row.at("worker_id");
  auto [code, out] = Cli({"submit", "-n", "2e8", "--chunks", "20", "--on", "zone=b", "--wait"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("(exact)"), std::string::npos) << out;
  const std::string job = out.substr(out.find("job ") + 4, out.find(':') - out.find("job ") - 4);
  EXPECT_EQ(RanOn(job), (std::set<std::string>{"wb"}));
  std::tie(code, out) = Cli({"submit", "-n", "2e8", "--chunks", "20", "--workers", "wa", "--wait"});
  ASSERT_EQ(code, 0) << out;
  const std::string named = out.substr(out.find("job ") + 4, out.find(':') - out.find("job ") - 4);
  EXPECT_EQ(RanOn(named), (std::set<std::string>{"wa"}));
}

TEST_F(PlacementTest, AStudyOverHostsAndPlacementsRunsEachPointWhereItSays) {
  const std::string out = dir_ + "/study";
  auto [code, text] = Cli({"scale", "-n", "3e8", "--chunks", "12", "--slots", "1,2", "--hosts",
                           "1,2", "--placement", "packed,spread", "--weak", "--repeat", "1",
                           "--no-upload", "--out", out},
                          std::chrono::seconds(200));
  ASSERT_EQ(code, 0) << text;  // a job that is not exact stops the study with exit 1
  const std::vector<Row> rows = ParseCsv(ReadFile(out + "/scale.csv"));
  ASSERT_EQ(rows.size(), 12u);  // (packed, spread, hosts) x (strong, weak) x 2 points
  for (const Row& row : rows) {
    const int slots = static_cast<int>(Number(row, "slots"));
    // One slot runs on one host; two slots on two 1-CPU hosts need both.
    EXPECT_EQ(Number(row, "hosts"), slots) << row.at("series") << " at " << slots;
    EXPECT_EQ(Number(row, "physical_cores"), slots == 1 && row.at("placement") == "packed" ? 1 : 2)
        << row.at("series");
    EXPECT_EQ(row.at("past_physical_cores"), "0");
    EXPECT_GT(Number(row, "counting_fraction"), 0.5) << row.at("series");
    EXPECT_GT(Number(row, "vs_calibration"), 0) << row.at("series");
  }
  // The 1-host point of the host axis ran on the first host only.
  const std::string json = ReadFile(out + "/scale.json");
  const size_t hosts_axis = json.find("\"series\": \"threads hosts\"");
  ASSERT_NE(hosts_axis, std::string::npos);
  const size_t ids = json.find("\"job_ids\": [", hosts_axis) + 12;
  const std::string first_job = json.substr(ids, json.find(']', ids) - ids);
  EXPECT_EQ(RanOn(first_job), (std::set<std::string>{"wa"}));
}

// One point's job twice: alone, then with a CPU hog sharing the worker's
// core (started on its host, so in its cpuset). The kernel runs slower, but
// the share of slot-time spent counting holds: the report does not blame
// tminus for the stolen CPU; and its wall agrees with a stopwatch. Whether
// the hog shared the core is judged by the job's CPU share, measured in the
// same run (a wall ratio between two runs is what a busy machine breaks).
TEST_F(PlacementTest, ACpuHogOnTheWorkersCoreDoesNotShowAsSchedulerOverhead) {
  const auto point = [&](const std::string& tag) {
    const auto start = std::chrono::steady_clock::now();
    auto [code, text] = Cli({"scale", "-n", "1.2e9", "--chunks", "40", "--slots", "1", "--workers",
                             "wb", "--repeat", "1", "--no-calibration", "--no-upload", "--out",
                             dir_ + "/" + tag});
    const double stopwatch =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(code, 0) << text;
    const std::vector<Row> rows = ParseCsv(ReadFile(dir_ + "/" + tag + "/scale.csv"));
    EXPECT_EQ(rows.size(), 1u);
    return std::pair<Row, double>{rows.empty() ? Row{} : rows[0], stopwatch};
  };
  const auto [quiet, quiet_stopwatch] = point("quiet");
  auto hog = net_->Start(kHostB, {"/bin/sh", "-c", "while :; do :; done"}, dir_ + "/hog.log");
  ASSERT_TRUE(hog.ok());
  const auto [loaded, loaded_stopwatch] = point("hog");
  net_->process(*hog).Signal(SIGKILL);

  const double quiet_counting = Number(quiet, "counting_fraction");
  const double loaded_counting = Number(loaded, "counting_fraction");
  EXPECT_GT(quiet_counting, 0.9) << "chunks of ~10 ms, nothing else on the core";
  // tminus's own share (1 - counting) must not grow with the hog.
  EXPECT_GT(loaded_counting, quiet_counting - 0.05) << quiet_counting << " -> " << loaded_counting;
  const double wall = Number(loaded, "wall_median_seconds");
  const Row hog_report = ReportOf(LastJob("hog"));
  EXPECT_LT(Number(hog_report, "cpu_share"), 0.8) << "the hog did not share the core";
  EXPECT_TRUE(WarnsOfCpuShare(LastJob("hog")));
  EXPECT_LE(wall, loaded_stopwatch);
  EXPECT_GT(wall, loaded_stopwatch - 3.0) << "the CLI's own start and polling take seconds?";
  (void)quiet_stopwatch;
}

// Issue 18's check, on real processes: four slots on one CPU report a
// parallelism of about 4 but a speedup of about 1 (the CPUs they got), a
// CPU share near 1/4 and a warning; one slot on each of two CPUs reports a
// speedup its CPU time backs. Judged against the CPU time measured in the
// same run, so a busy machine lowers the figures together, never fails it.
TEST_F(PlacementTest, ASpeedupIsBackedByCpusOversubscribedOrNot) {
  const std::string coordinator = net_->Address(kCoordinatorHost) + ":7070";
  ASSERT_TRUE(net_->Start(kHostA,
                          {Bin("tminus-worker"), "--coordinator", coordinator, "--name", "wc",
                           "--slots", "4", "--label", "zone=c"},
                          dir_ + "/wc.log").ok());
  AwaitCalibrated({"wa", "wb", "wc"});

  auto [code, out] = Cli({"submit", "-n", "3.2e9", "--chunks", "32", "--workers", "wc", "--wait"});
  ASSERT_EQ(code, 0) << out;
  const Row over = ReportOf(JobOf(out));
  ASSERT_FALSE(over.at("speedup").empty()) << over.at("speedup_reference");
  EXPECT_GT(Number(over, "parallelism"), 3.0) << "four slots were kept busy";
  // One CPU cannot give more than about 1; a core that ran faster than at
  // calibration (CI saw up to 1.5x) may read higher, with the report saying
  // so. The overstatement this replaced read about 4.
  EXPECT_LE(Number(over, "speedup"), 2.0) << "one CPU cannot give more";
  if (Number(over, "speedup") > 1.3) {
    const std::string report = Cli({"report", JobOf(out)}).second;
    EXPECT_NE(report.find("the one-slot reference is too low"), std::string::npos) << report;
  }
  EXPECT_LT(Number(over, "cpu_share"), 0.4);
  EXPECT_TRUE(WarnsOfCpuShare(JobOf(out)));

  std::tie(code, out) =
      Cli({"submit", "-n", "3.2e9", "--chunks", "32", "--workers", "wa,wb", "--wait"});
  ASSERT_EQ(code, 0) << out;
  const Row two = ReportOf(JobOf(out));
  ASSERT_FALSE(two.at("speedup").empty()) << two.at("speedup_reference");
  const double speedup = Number(two, "speedup");
  const double cpus = Number(two, "cpu_parallelism");
  // Never above the CPUs it got (the overstatement this replaced) unless
  // the report says why. Not judged from below: this VM's cores change speed
  // by up to 2x within seconds (one CPU counted 1.5 to 2.8 G/s in one
  // minute; CI once ran 25% faster than at calibration), so a reference
  // taken earlier says what a core could do, not what it did then.
  // (Either warning: above the CPUs used, or, when further, above the slots.)
  if (speedup > 1.15 * cpus) {
    const std::string report = Cli({"report", JobOf(out)}).second;
    EXPECT_NE(report.find("the one-slot reference is too low"), std::string::npos)
        << cpus << "\n" << report;
  }
  EXPECT_GT(Number(two, "cpu_parallelism"), Number(over, "cpu_parallelism"))
      << "two CPUs against one";
  std::cerr << "two slots on two CPUs: speedup " << speedup << ", cpu parallelism " << cpus
            << ", cpu share " << two.at("cpu_share") << "\n";
}

}  // namespace
}  // namespace tminus::testing
