// The metrics and the dashboard against the real things: Debian's Prometheus
// scraping a coordinator and two workers with bearer tokens (then PromQL),
// promtool checking each daemon's exposition, and Debian's Chromium driving
// the dashboard (web/test/dashboard.test.mjs, puppeteer-core). Skipped with
// the reason where a tool is missing; in CI (CI=true) that is a failure.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/client.h"
#include "cli/local_cluster.h"
#include "cli/scale.h"
#include "common/subprocess.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus {
namespace {

using ::tminus::testing::ReadFile;
using ::tminus::testing::WaitFor;

constexpr char kClientToken[] = "client-token-for-observability-0123";
constexpr char kWorkerToken[] = "worker-token-for-observability-0123";

bool Have(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

// Prometheus cannot report a port it picked: take a free one from the kernel.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

int ReadPort(const std::string& path) {
  int port = 0;
  EXPECT_TRUE(WaitFor([&] { return static_cast<bool>(std::ifstream(path) >> port); },
                      std::chrono::seconds(10), "a port in " + path,
                      std::chrono::milliseconds(20)));
  return port;
}

class ObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"prometheus", "promtool", "chromium", "node"}) {
      if (Have(tool)) continue;
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << tool << " is not installed";
      GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh installs it)";
    }
    dir_ = absl::StrCat(::testing::TempDir(), "tminus-observability-", getpid(), "-", ++runs_);
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    std::ofstream(dir_ + "/client.token") << kClientToken << "\n";
    std::ofstream(dir_ + "/worker.token") << kWorkerToken << "\n";
    LocalClusterOptions options;
    options.bin_dir = TMINUS_BIN_DIR;
    options.work_dir = dir_;
    options.log_level = "info";
    options.dashboard = true;
    options.coordinator_flags = {"--client-token-file", dir_ + "/client.token",
                                 "--worker-token-file", dir_ + "/worker.token"};
    options.security.token = kClientToken;
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    security_.token = kClientToken;
  }

  // A worker with its metrics port; returns that port.
  int AddWorker(const std::string& name, int slots) {
    const std::string port_file = absl::StrCat(dir_, "/", name, ".http-port");
    EXPECT_TRUE(cluster_
                    ->AddWorker(name, slots,
                                {"--token-file", dir_ + "/worker.token", "--http-listen",
                                 "127.0.0.1:0", "--http-port-file", port_file,
                                 "--metrics-token-file", dir_ + "/client.token"})
                    .ok());
    return ReadPort(port_file);
  }

  absl::StatusOr<v1::JobReport> RunJob(int64_t n, int64_t chunks) {
    JobClient client(cluster_->address(), std::chrono::seconds(10), security_);
    v1::SubmitJobRequest request;
    request.mutable_spec()->set_n(n);
    request.mutable_spec()->set_chunk_count(chunks);
    request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
    auto job = client.Submit(request);
    if (!job.ok()) return job.status();
    auto last = client.Watch(job->id(), 100, [](const auto&) {});
    if (!last.ok()) return last.status();
    return client.Report(job->id());
  }

  std::string dir_;
  std::unique_ptr<LocalCluster> cluster_;
  ClientSecurity security_;
  static int runs_;
};

int ObservabilityTest::runs_ = 0;

// The value of a PromQL query with one result, or "" (not there yet).
std::string Query(int prometheus_port, const std::string& promql) {
  httplib::Client http("127.0.0.1", prometheus_port);
  auto reply = http.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!reply || reply->status != 200) return "";
  const std::string& body = reply->body;  // ..."value":[1764...,"4000000000"]}]
  const size_t value = body.rfind(",\"");
  const size_t end = body.rfind("\"]");
  if (body.find("\"result\":[]") != std::string::npos || value == std::string::npos ||
      end == std::string::npos || end < value) {
    return "";
  }
  return body.substr(value + 2, end - value - 2);
}

TEST_F(ObservabilityTest, PrometheusScrapesTheCoordinatorAndTwoWorkersWithTokens) {
  const int worker1 = AddWorker("w1", 1);
  const int worker2 = AddWorker("w2", 1);
  ASSERT_TRUE(worker1 > 0 && worker2 > 0);
  ASSERT_TRUE(cluster_->WaitForWorkers(2, std::chrono::seconds(20)).ok());
  const std::string coordinator = cluster_->dashboard_url().substr(7, cluster_->dashboard_url().size() - 8);
  std::ofstream(dir_ + "/prometheus.yml") << absl::StrCat(
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n"
      "  - job_name: tminus\n    bearer_token_file: ", dir_, "/client.token\n"
      "    static_configs:\n      - targets: ['", coordinator, "', '127.0.0.1:", worker1,
      "', '127.0.0.1:", worker2, "']\n");
  const int port = FreePort();
  auto prometheus = Subprocess::Start(
      {"prometheus", "--config.file=" + dir_ + "/prometheus.yml",
       "--storage.tsdb.path=" + dir_ + "/tsdb", absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      dir_ + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok());
  const int64_t n = 4'000'000'000;
  auto report = RunJob(n, 40);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->decrements(), n);
  // Prometheus sees exactly what the job did, and who was connected.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"tminus_decrements_total", absl::StrCat(n)},
      {"sum(tminus_worker_decrements_total)", absl::StrCat(n)},
      {"tminus_workers_connected", "2"},
      {"tminus_jobs_finished_total{state=\"succeeded\"}", "1"},
      {"count(up == 1)", "3"},
  };
  for (const auto& [promql, value] : expected) {
    std::string seen;
    EXPECT_TRUE(WaitFor(
        [&] {
          seen = Query(port, promql);
          return seen == value;
        },
        std::chrono::seconds(30), promql + " to be " + value, std::chrono::milliseconds(100)))
        << "it is " << seen << "\n" << ReadFile(dir_ + "/prometheus.log");
  }
  // promtool checks each daemon's exposition.
  for (int daemon : {cluster_->http_port(), worker1, worker2}) {
    httplib::Client http("127.0.0.1", daemon);
    auto metrics = http.Get("/metrics", {{"Authorization", std::string("Bearer ") + kClientToken}});
    ASSERT_TRUE(metrics && metrics->status == 200);
    const std::string file = absl::StrCat(dir_, "/metrics-", daemon, ".txt");
    std::ofstream(file) << metrics->body;
    EXPECT_EQ(std::system(("promtool check metrics < " + file + " > " + file + ".check 2>&1").c_str()), 0)
        << ReadFile(file + ".check");
  }
  prometheus->Stop(std::chrono::seconds(5));
}

TEST_F(ObservabilityTest, TheDashboardWorksInARealBrowser) {
  AddWorker("browser-worker", 2);
  AddWorker("browser-worker-2", 1);
  ASSERT_TRUE(cluster_->WaitForWorkers(2, std::chrono::seconds(20)).ok());
  const std::string tminus = std::string(TMINUS_BIN_DIR) + "/tminus";
  const std::string client = absl::StrCat("TMINUS_TOKEN=", kClientToken, " ", tminus,
                                          " --coordinator ", cluster_->address());
  ASSERT_EQ(std::system((client + " scale --n 2e9 --chunks 16 --slots 1,2 --repeat 1 --name "
                                  "browser --out " + dir_ + "/scale > " + dir_ + "/scale.log 2>&1")
                            .c_str()),
            0)
      << ReadFile(dir_ + "/scale.log");
  JobClient jobs(cluster_->address(), std::chrono::seconds(10), security_);
  // A study whose `!` marks are known in advance (a real run's noise is
  // not): per executor 1 and 2 slots; threads at 2 slots with runs spread
  // by 60%, processes at 2 slots above its calibration (120%).
  ScaleStudy marked;
  marked.n = 2'000'000'000;
  marked.chunks = 16;
  marked.workers = marked.hosts = 1;
  marked.total_slots = marked.physical_cores = 2;
  marked.bare_rate = 2e9;
  for (v1::Executor executor : {v1::EXECUTOR_THREADS, v1::EXECUTOR_PROCESSES}) {
    for (int slots : {1, 2}) {
      ScalePoint p;
      p.executor = executor;
      p.slots = p.physical_cores = slots;
      p.hosts = 1;
      p.n = marked.n;
      p.median_s = 1.0 / slots;
      const double spread = slots == 2 && executor == v1::EXECUTOR_THREADS ? 0.3 : 0.01;
      p.min_s = p.median_s * (1 - spread);
      p.max_s = p.median_s * (1 + spread);
      p.wall_s = {p.min_s, p.median_s, p.max_s};
      p.speedup = 0.98 * slots;
      p.efficiency = 0.98;
      if (slots > 1) p.karp_flatt = KarpFlatt(p.speedup, slots);
      p.rate = marked.n / p.median_s;
      p.counting_fraction = 0.97;
      p.calibrated_rate = p.calibrated_min = p.calibrated_max =
          p.rate / (slots == 2 && executor == v1::EXECUTOR_PROCESSES ? 1.2 : 0.97);
      p.vs_calibration = p.rate / p.calibrated_rate;
      marked.points.push_back(p);
    }
  }
  std::ostringstream table;
  PrintScaleTable(marked, table);
  ASSERT_EQ(std::vector<std::string>(absl::StrSplit(table.str(), "% !")).size(), 4u) << "the CLI's marks:\n" << table.str();
  ASSERT_TRUE(jobs.RecordStudy(StudyProto(marked, 3, "marks")).ok());
  v1::SubmitJobRequest request;  // long enough to watch it move
  request.mutable_spec()->set_n(30'000'000'000);
  request.mutable_spec()->set_chunk_count(300);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  request.mutable_spec()->set_max_slots(2);  // the third slot is the second job's
  auto job = jobs.Submit(request);
  ASSERT_TRUE(job.ok()) << job.status();
  request.mutable_spec()->set_n(6'000'000'000);  // a second job, in the slot the first leaves
  request.mutable_spec()->set_chunk_count(60);
  auto second = jobs.Submit(request);
  ASSERT_TRUE(second.ok()) << second.status();
  const std::string screenshot = std::string(TMINUS_BUILD_DIR) + "/dashboard-job.png";
  const std::string command = absl::StrCat(
      "node ", TMINUS_SOURCE_DIR, "/web/test/dashboard.test.mjs --url http://127.0.0.1:",
      cluster_->http_port(), " --token ", kClientToken, " --job ", job->id(), " --job2 ",
      second->id(), " --screenshot ", screenshot, " --expect-marks > ", dir_, "/browser.log 2>&1");
  EXPECT_EQ(std::system(command.c_str()), 0) << ReadFile(dir_ + "/browser.log");
  std::cout << ReadFile(dir_ + "/browser.log");
  for (const auto& each : {*job, *second}) {  // both exact
    auto last = jobs.Watch(each.id(), 500, [](const auto&) {});
    ASSERT_TRUE(last.ok()) << last.status();
    EXPECT_EQ(last->job().state(), v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(last->job().decrements_done(), each.spec().n());
  }
}

}  // namespace
}  // namespace tminus
