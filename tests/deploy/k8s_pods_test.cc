// The Kubernetes manifests, run as far as this machine allows: the dev
// overlay is rendered (deploy/k8s/test/pods.mjs), and the coordinator's,
// a worker's and the example Job's containers run as processes in network
// namespaces standing in for pods, with exactly the command, args and env
// the manifests give (ConfigMap and downward API filled in, volumes as
// folders, the Service name in the pods' hosts file). The probes the
// manifests declare must answer SERVING on the declared ports, the Job's
// `tminus submit --wait` must finish a job exactly, and SIGTERM must stop
// both daemons cleanly within their grace periods.
#include <gtest/gtest.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/multihost/netns_hosts.h"
#include "tests/testing/files.h"
#include "tests/testing/wait.h"

namespace tminus::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr int kCoordinatorPod = 1, kWorkerPod = 2, kNode = 3;  // node: kubelet and the Job

class K8sPodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto net = NetnsHosts::Create("k8s", 3);
    if (!net.ok()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << net.status().ToString();
      GTEST_SKIP() << "multi-host tests skipped: " << net.status().message();
    }
    net_ = std::move(*net);
    dir_ = absl::StrCat(::testing::TempDir(), "tminus-k8s-pods-", getpid());
    ASSERT_EQ(std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_).c_str()), 0);
    const std::string json = dir_ + "/pods.json";
    ASSERT_EQ(std::system(absl::StrCat("node ", TMINUS_SOURCE_DIR, "/deploy/k8s/test/pods.mjs ",
                                       TMINUS_SOURCE_DIR, "/deploy/k8s/overlays/dev > ", json)
                              .c_str()), 0) << "is `npm ci` done in deploy/k8s/test?";
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ReadFile(json), &pods_).ok());
  }

  void TearDown() override {
    if (!HasFailure() && !dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }

  const Struct& Pod(const std::string& role) {
    return pods_.fields().at(role).struct_value();
  }
  static std::string Str(const Struct& s, const std::string& key) {
    return s.fields().at(key).string_value();
  }
  static int Int(const Value& v) { return static_cast<int>(v.number_value()); }

  // The pod's argv as the kubelet would exec it: volumes become folders
  // under dir_/ROLE (secret files written into them), the env is exactly
  // the container's, and the image's binaries are this build's.
  std::vector<std::string> Argv(const std::string& role) {
    const Struct& pod = Pod(role);
    std::vector<std::pair<std::string, std::string>> mounts;
    for (const Value& m : pod.fields().at("mounts").list_value().values()) {
      const Struct& mount = m.struct_value();
      const std::string folder = absl::StrCat(dir_, "/", role, "/", Str(mount, "name"));
      EXPECT_EQ(std::system(("mkdir -p " + folder).c_str()), 0);
      for (const auto& [file, text] : mount.fields().at("files").struct_value().fields()) {
        std::ofstream(folder + "/" + file) << text.string_value();
      }
      mounts.emplace_back(Str(mount, "path"), folder);
    }
    std::vector<std::string> argv = {"/usr/bin/env", "-i",
                                     absl::StrCat("PATH=", TMINUS_BIN_DIR, ":/usr/bin:/bin")};
    for (const auto& [key, value] : pod.fields().at("env").struct_value().fields()) {
      argv.push_back(absl::StrCat(key, "=", value.string_value()));
    }
    for (const Value& arg : pod.fields().at("argv").list_value().values()) {
      argv.push_back(absl::StrReplaceAll(arg.string_value(), mounts));
    }
    return argv;
  }

  // The declared probe, made from the node like the kubelet's.
  void ExpectServing(int pod_host, const std::string& role, const std::string& probe) {
    const Struct& spec = Pod(role).fields().at(probe).struct_value();
    const std::string target = absl::StrCat(net_->Address(pod_host), ":",
                                            Int(spec.fields().at("port")));
    std::pair<int, std::string> result;
    EXPECT_TRUE(WaitFor(
        [&] {
          result = net_->Run(kNode, {std::string(TMINUS_BIN_DIR) + "/health_probe", target,
                                     Str(spec, "service")},
                             absl::StrCat(dir_, "/probe-", ++probes_));
          return result.first == 0;
        },
        std::chrono::seconds(30), role + " " + probe + " on " + target + " to pass",
        std::chrono::milliseconds(200)))
        << result.second;
  }

  // SIGTERM, as the kubelet sends; the process must exit 0 within the grace.
  void ExpectCleanStop(size_t process, const std::string& role) {
    const int grace = Int(Pod(role).fields().at("grace_seconds"));
    net_->process(process).Signal(SIGTERM);
    std::optional<int> status = net_->process(process).Wait(std::chrono::seconds(grace));
    ASSERT_TRUE(status.has_value()) << role << " still running after " << grace << " s";
    EXPECT_EQ(ExitCodeOf(*status), 0) << role;
  }

  std::unique_ptr<NetnsHosts> net_;
  std::string dir_;
  Struct pods_;
  int probes_ = 0;
};

TEST_F(K8sPodsTest, DevOverlayRunsAJobExactlyWithItsOwnCommandsProbesAndGrace) {
  const std::string service = Str(Pod("coordinator"), "service");
  const std::string hosts = absl::StrCat("127.0.0.1 localhost\n", net_->Address(kCoordinatorPod),
                                         " ", service, "\n");
  ASSERT_TRUE(net_->SetHostsFile(kWorkerPod, hosts).ok());
  ASSERT_TRUE(net_->SetHostsFile(kNode, hosts).ok());
  auto coordinator = net_->Start(kCoordinatorPod, Argv("coordinator"), dir_ + "/coordinator.log");
  ASSERT_TRUE(coordinator.ok());
  ExpectServing(kCoordinatorPod, "coordinator", "readiness");
  ExpectServing(kCoordinatorPod, "coordinator", "liveness");
  auto worker = net_->Start(kWorkerPod, Argv("worker"), dir_ + "/worker.log");
  ASSERT_TRUE(worker.ok());
  ExpectServing(kWorkerPod, "worker", "liveness");
  ExpectServing(kWorkerPod, "worker", "readiness");  // ready = joined the coordinator

  // The example Job's container: `tminus submit ... --wait`.
  auto [code, out] = net_->Run(kNode, Argv("submit"), dir_ + "/submit.out",
                               std::chrono::seconds(120));
  ASSERT_EQ(code, 0) << out << ReadFile(dir_ + "/submit.out.err");
  std::vector<std::string> report = Argv("submit");
  // The same container, asking for the report instead: global flags kept.
  report.erase(std::find(report.begin(), report.end(), "submit"), report.end());
  report.insert(report.end(), {"report", "1", "-o", "csv"});
  auto [report_code, csv] = net_->Run(kNode, report, dir_ + "/report.out");
  ASSERT_EQ(report_code, 0) << csv << ReadFile(dir_ + "/report.out.err");
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << csv;
  EXPECT_TRUE(absl::StartsWith(lines[1], "1,succeeded,2000000000,2000000000,true,40,")) << csv;

  ExpectCleanStop(*worker, "worker");
  ExpectCleanStop(*coordinator, "coordinator");
}

}  // namespace
}  // namespace tminus::testing
