// The real binaries at the edges (issue 11): a name in use, a port in use, a
// flood of idle connections past the fd limit, a coordinator that goes away
// while chunks run, a wrong token, a client waiting through a restart.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/local_cluster.h"
#include "common/rpc.h"
#include "common/subprocess.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/test_server.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/wait.h"

namespace tminus::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr char kBin[] = TMINUS_BIN_DIR;

std::string WorkDir(const std::string& test) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "tminus-edges-", test, "-", getpid());
  mkdir(dir.c_str(), 0755);
  return dir;
}

std::unique_ptr<LocalCluster> StartCluster(const std::string& test,
                                           std::vector<std::string> coordinator_flags = {}) {
  LocalClusterOptions options;
  options.bin_dir = kBin;
  options.work_dir = WorkDir(test);
  options.log_level = "info";
  options.coordinator_flags = std::move(coordinator_flags);
  auto cluster = LocalCluster::Start(options);
  EXPECT_TRUE(cluster.ok()) << cluster.status().ToString();
  return cluster.ok() ? std::move(*cluster) : nullptr;
}

v1::SubmitJobRequest Job(int64_t n, int64_t chunks) {
  v1::SubmitJobRequest request;
  request.mutable_spec()->set_n(n);
  request.mutable_spec()->set_chunk_count(chunks);
  request.mutable_spec()->set_executor(v1::EXECUTOR_THREADS);
  return request;
}

// Follows the job to its end, through a coordinator restart if need be.
absl::StatusOr<v1::JobReport> WaitForEnd(JobClient& client, uint64_t job) {
  absl::StatusOr<v1::WatchJobResponse> last;
  const ::testing::AssertionResult ended = WaitFor(
      [&] {
        last = client.Watch(job, 100, [](const auto&) {});
        return last.ok();
      },
      std::chrono::seconds(60), absl::StrCat("a watch of job ", job, " to see its end"),
      std::chrono::milliseconds(100));
  if (!ended) {
    return absl::DeadlineExceededError(
        absl::StrCat(ended.message(), ": ", last.status().ToString()));
  }
  return client.Report(job);
}

// Waits for the process to exit; its exit code, or -1 after `limit`.
int ExitCode(Subprocess& process, std::chrono::seconds limit) {
  const std::optional<int> status = process.Wait(limit);
  return status.has_value() ? ExitCodeOf(*status) : -1;
}

TEST(EdgesTest, ASecondWorkerWithTheSameNameExitsOneNamingTheConflict) {
  auto cluster = StartCluster("name");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("same", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  ASSERT_TRUE(cluster->AddWorker("same", 2).ok());
  EXPECT_EQ(ExitCode(cluster->workers()[1], std::chrono::seconds(20)), 1);
  const std::string log = ReadFile(cluster->work_dir() + "/same.log");
  EXPECT_NE(log.find("ALREADY_EXISTS"), std::string::npos) << log;
  JobClient client(cluster->address());
  auto job = client.Submit(Job(2'000'000'000, 20));
  TMINUS_ASSERT_OK(job);
  auto report = WaitForEnd(client, job->id());
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  EXPECT_EQ(report->counters().failed_attempts(), 0);
  auto workers = client.Workers();
  TMINUS_ASSERT_OK(workers);
  ASSERT_EQ(workers->workers_size(), 1);
  EXPECT_EQ(workers->workers(0).sessions(), 1);  // the first worker was never displaced
}

TEST(EdgesTest, APortInUseIsAnErrorNamingTheAddressNotASharedPort) {
  auto cluster = StartCluster("port");
  ASSERT_NE(cluster, nullptr);
  const std::string dir = cluster->work_dir();
  auto second = Subprocess::Start({absl::StrCat(kBin, "/tminus-coordinator"), "--listen",
                                   cluster->address(), "--state-dir", "", "--log-level", "off"},
                                  dir + "/second.out", dir + "/second.err");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ExitCode(*second, std::chrono::seconds(20)), 1);
  const std::string said = ReadFile(dir + "/second.err");
  EXPECT_NE(said.find(cluster->address()), std::string::npos) << said;
  EXPECT_NE(said.find("address already in use"), std::string::npos) << said;
  auto worker = Subprocess::Start({absl::StrCat(kBin, "/tminus-worker"), "--coordinator",
                                   cluster->address(), "--health-listen", cluster->address(),
                                   "--log-level", "off"},
                                  dir + "/worker.out", dir + "/worker.err");
  ASSERT_TRUE(worker.ok());
  EXPECT_EQ(ExitCode(*worker, std::chrono::seconds(20)), 1);
  EXPECT_NE(ReadFile(dir + "/worker.err").find("--health-listen"), std::string::npos);
  TMINUS_EXPECT_OK(JobClient(cluster->address()).List(10, ""));  // the first one serves on
}

// Opens `count` TCP connections to the port and says nothing on them.
std::vector<int> Flood(int port, int count) {
  struct rlimit limit {};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;  // this test process needs the room
  setrlimit(RLIMIT_NOFILE, &limit);
  std::vector<int> fds;
  sockaddr_in to {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    grpc::health::v1::Health::Stub& stub) {
  grpc::ClientContext context;
  SetDeadline(&context, std::chrono::seconds(2));
  grpc::health::v1::HealthCheckResponse response;
  if (!stub.Check(&context, {}, &response).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return response.status();
}

// The port a daemon wrote to `file` once it listens; 0 if none came.
int ReadPort(const std::string& file) {
  int port = 0;
  EXPECT_TRUE(WaitFor([&] { return static_cast<bool>(std::ifstream(file) >> port); },
                      std::chrono::seconds(10), "a port in " + file));
  return port;
}

TEST(EdgesTest, AFloodOfIdleConnectionsPastTheFdLimitDoesNotShutTheCoordinatorOff) {
  const std::string dir = WorkDir("flood");
  const std::string port_file = dir + "/port";
  auto coordinator = Subprocess::Start(
      {"/bin/sh", "-c", "ulimit -n 256 && exec \"$0\" \"$@\"",
       absl::StrCat(kBin, "/tminus-coordinator"), "--listen", "127.0.0.1:0", "--port-file",
       port_file, "--state-dir", "", "--log-level", "info", "--exit-with-parent"},
      dir + "/coordinator.log");
  ASSERT_TRUE(coordinator.ok());
  const int port = ReadPort(port_file);
  ASSERT_GT(port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  InProcessWorker worker(address, "steady", 2);  // connected before the flood
  auto probe = grpc::health::v1::Health::NewStub(MakeChannel(address));
  ASSERT_EQ(Health(*probe), grpc::health::v1::HealthCheckResponse::SERVING);

  std::vector<int> flood = Flood(port, 400);
  ASSERT_GT(flood.size(), 300u);
  EXPECT_TRUE(WaitFor(
      [&] { return Health(*probe) == grpc::health::v1::HealthCheckResponse::NOT_SERVING; },
      std::chrono::seconds(10), "readiness NOT_SERVING", std::chrono::milliseconds(50)))
      << "readiness should say it cannot accept";
  // On purpose: the flood holds the coordinator at its fd limit for a while
  // before it ends; what follows checks that it recovers from that.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int fd : flood) close(fd);

  // A new client, on a new connection, is served again within seconds.
  ASSERT_TRUE(WaitFor([&] { return JobClient(address, std::chrono::seconds(1)).List(1, "").ok(); },
                      std::chrono::seconds(30), "a new client to be served",
                      std::chrono::milliseconds(100)))
      << "the coordinator stopped accepting for good";
  JobClient client(address);
  auto job = client.Submit(Job(500'000'000, 10));
  TMINUS_ASSERT_OK(job);
  auto report = WaitForEnd(client, job->id());
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  // Once the flood's last connections are swept away.
  EXPECT_TRUE(WaitFor(
      [&] { return Health(*probe) == grpc::health::v1::HealthCheckResponse::SERVING; },
      std::chrono::seconds(20), "readiness SERVING again", std::chrono::milliseconds(100)));
  EXPECT_EQ(coordinator->Stop(std::chrono::seconds(10)), 0);
}

// Starts `count` TCP connections to the port without waiting for any (a
// port that stops accepting must not hang the test) and says nothing on them.
std::vector<int> IdleConnections(int port, int count) {
  struct rlimit limit {};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;  // this test process needs the room
  setrlimit(RLIMIT_NOFILE, &limit);
  sockaddr_in to {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    (void)connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to));  // EINPROGRESS
    fds.push_back(fd);
  }
  return fds;
}

TEST(EdgesTest, AnHttpFloodUnderALowFdLimitLeavesTheGrpcPortServing) {
  const std::string dir = WorkDir("http-flood");
  auto coordinator = Subprocess::Start(
      {"/bin/sh", "-c", "ulimit -n 256 && exec \"$0\" \"$@\"",
       absl::StrCat(kBin, "/tminus-coordinator"), "--listen", "127.0.0.1:0", "--port-file",
       dir + "/port", "--http-listen", "127.0.0.1:0", "--http-port-file", dir + "/http-port",
       "--state-dir", "", "--log-level", "info", "--exit-with-parent"},
      dir + "/coordinator.log");
  ASSERT_TRUE(coordinator.ok());
  const int port = ReadPort(dir + "/port");
  const int http_port = ReadPort(dir + "/http-port");
  ASSERT_GT(port, 0);
  ASSERT_GT(http_port, 0);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  InProcessWorker worker(address, "steady", 2);
  std::vector<int> flood = IdleConnections(http_port, 2'000);
  ASSERT_GT(flood.size(), 1'000u);
  // On purpose, a fixed time: the coordinator takes what it will of the flood
  // (nothing says when it is done taking), and the client below must come
  // while the flood lasts.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // A new client on a new connection (another process: this one's channels
  // share the worker's connection) while the flood lasts; the HTTP port
  // would hold every descriptor for 10 s per round of 256 connections.
  auto cli = Subprocess::Start({absl::StrCat(kBin, "/tminus"), "--coordinator", address, "submit",
                                "--n", "2e8", "--chunks", "10", "--wait"},
                               dir + "/cli.out", dir + "/cli.err");
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(ExitCode(*cli, std::chrono::seconds(90)), 0) << ReadFile(dir + "/cli.err");
  EXPECT_NE(ReadFile(dir + "/cli.out").find("exact"), std::string::npos);
  for (int fd : flood) close(fd);
  EXPECT_EQ(coordinator->Stop(std::chrono::seconds(10)), 0);
}

TEST(EdgesTest, AWorkerRejoinsWithinAboutASecondOfTheCoordinatorListeningAgain) {
  auto cluster = StartCluster("rejoin");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w", 1).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  cluster->KillCoordinator();
  // On purpose: the coordinator stays away until every backoff reaches its
  // cap; the test measures the rejoin from there.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const auto listening = Clock::now();
  TMINUS_ASSERT_OK(cluster->StartCoordinatorAgain());  // returns once it listens
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(30)));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - listening);
  // 7 to 11 s before (gRPC's channel backoff on top of the worker's own);
  // about 0.5 s now, plus this test's own client reconnecting.
  EXPECT_LT(took.count(), 3'000);
  std::cout << "worker rejoined " << took.count() << " ms after the coordinator listened\n";
}

TEST(EdgesTest, AChunkRunningWhenTheCoordinatorDiesRunsOnAndIsReported) {
  auto cluster = StartCluster("keep-running");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w", 1).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  JobClient client(cluster->address());
  auto job = client.Submit(Job(4'000'000'000, 1));  // one chunk of a second or two
  TMINUS_ASSERT_OK(job);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto view = client.Get(job->id());
        return view.ok() && view->chunks_running() == 1;
      },
      std::chrono::seconds(20), "the chunk to run"));
  // On purpose: the chunk runs a while before the kill. This head start is
  // the margin by which its busy time outlasts the time from the kill to the
  // report (checked below) when it really ran on through the restart.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto killed = Clock::now();
  TMINUS_ASSERT_OK(cluster->RestartCoordinator());
  auto report = WaitForEnd(client, job->id());
  const auto ended = Clock::now();
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  // The accepted run started before the kill: it was not thrown away and
  // started again after the restart.
  const int64_t since_kill =
      std::chrono::duration_cast<std::chrono::nanoseconds>(ended - killed).count();
  EXPECT_GE(report->busy_ns(), since_kill);
}

TEST(EdgesTest, ASigtermedCoordinatorChargesNoAttemptAndItsJobEndsExactAfterARestart) {
  // One attempt per chunk: a single chunk blamed for the stop fails the job.
  auto cluster = StartCluster("sigterm", {"--max-attempts", "1"});
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  uint64_t job_id = 0;
  {
    // Gone before the stop, as an operator's `tminus submit` is: an idle
    // client connection only delays the stop (to its grace).
    JobClient client(cluster->address());
    auto job = client.Submit(Job(48'000'000'000, 48));  // chunks of a second or less
    TMINUS_ASSERT_OK(job);
    job_id = job->id();
    ASSERT_TRUE(WaitFor(
        [&] {
          auto view = client.Get(job_id);
          return view.ok() && view->chunks_done() >= 1 && view->chunks_running() > 0;
        },
        std::chrono::seconds(20), "a chunk done and another running"));
  }
  EXPECT_EQ(cluster->coordinator().Stop(std::chrono::seconds(20)), 0);
  const std::string log = ReadFile(cluster->work_dir() + "/coordinator.log");
  EXPECT_EQ(log.find("attempt failed"), std::string::npos) << log;
  TMINUS_ASSERT_OK(cluster->StartCoordinatorAgain());
  JobClient client(cluster->address());
  auto report = WaitForEnd(client, job_id);
  TMINUS_ASSERT_OK(report);
  ExpectExact(*report);
  EXPECT_EQ(report->counters().failed_attempts(), 0);
}

TEST(EdgesTest, AWorkerWithAWrongTokenExitsOneSayingWhy) {
  const std::string dir = WorkDir("token");
  std::ofstream(dir + "/workers.token") << "right-worker-token-0123456789\n";
  std::ofstream(dir + "/wrong.token") << "wrong-worker-token-0123456789\n";
  auto cluster = StartCluster("token", {"--worker-token-file", dir + "/workers.token"});
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("intruder", 1, {"--token-file", dir + "/wrong.token"}).ok());
  EXPECT_EQ(ExitCode(cluster->workers()[0], std::chrono::seconds(20)), 1);
  const std::string log = ReadFile(cluster->work_dir() + "/intruder.log");
  EXPECT_NE(log.find("UNAUTHENTICATED"), std::string::npos) << log;
}

TEST(EdgesTest, SubmitWaitFollowsItsJobThroughACoordinatorRestart) {
  auto cluster = StartCluster("reattach");
  ASSERT_NE(cluster, nullptr);
  ASSERT_TRUE(cluster->AddWorker("w", 2).ok());
  TMINUS_ASSERT_OK(cluster->WaitForWorkers(1, std::chrono::seconds(20)));
  const std::string dir = cluster->work_dir();
  auto cli = Subprocess::Start({absl::StrCat(kBin, "/tminus"), "--coordinator", cluster->address(),
                                "submit", "--n", "6e9", "--chunks", "60", "--wait"},
                               dir + "/cli.out", dir + "/cli.err");
  ASSERT_TRUE(cli.ok());
  JobClient client(cluster->address());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto jobs = client.List(1, "");
        return jobs.ok() && jobs->jobs_size() == 1 && jobs->jobs(0).chunks_done() > 2;
      },
      std::chrono::seconds(20), "the submitted job to have 3 chunks done"));
  TMINUS_ASSERT_OK(cluster->RestartCoordinator());
  EXPECT_EQ(ExitCode(*cli, std::chrono::seconds(90)), 0) << ReadFile(dir + "/cli.err");
  EXPECT_NE(ReadFile(dir + "/cli.out").find("exact"), std::string::npos);
  EXPECT_NE(ReadFile(dir + "/cli.err").find("re-attaching"), std::string::npos);
}

}  // namespace
}  // namespace tminus::testing
