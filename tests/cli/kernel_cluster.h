// The fixture of the kernel CLI tests (kernels_test.cc, gil_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/local_cluster.h"
#include "common/subprocess.h"
#include "tests/testing/files.h"

namespace tminus::testing {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

inline const std::string kBusyWait = std::string(TMINUS_SOURCE_DIR) + "/examples/busy_wait.py";

// A local cluster of one 2-slot worker that allows the python and command
// kernels (as nobody, when the tests run as root), shared by a suite.
class KernelClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    LocalClusterOptions options;
    options.bin_dir = TMINUS_BIN_DIR;
    options.work_dir = work_dir_ = absl::StrCat(::testing::TempDir(), "tminus-kernels-", getpid());
    auto cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    cluster_ = cluster->release();
    std::vector<std::string> flags = {"--allow-kernels", "python,command", "--kill-grace", "1"};
    if (geteuid() == 0) flags.insert(flags.end(), {"--run-as", "nobody"});
    ASSERT_TRUE(cluster_->AddWorker("kernel-worker", 2, flags).ok());
    ASSERT_TRUE(cluster_->WaitForWorkers(1, std::chrono::seconds(20)).ok());
  }
  static void TearDownTestSuite() {
    delete cluster_;  // stops what it started, by pid
    cluster_ = nullptr;
    if (std::getenv("TMINUS_KEEP_TEST_DIRS") == nullptr) {
      auto rm = Subprocess::Start({"rm", "-rf", work_dir_});
      if (rm.ok()) rm->Wait(std::chrono::seconds(30));
    }
  }

  // `tminus --coordinator <cluster> args...`, with a time limit.
  static Result Run(std::vector<std::string> args, int timeout_s = 90) {
    static int counter = 0;
    const std::string base = absl::StrCat(::testing::TempDir(), "tminus-kcli-", getpid(), "-", ++counter);
    std::vector<std::string> argv = {std::string(TMINUS_BIN_DIR) + "/tminus", "--coordinator",
                                     cluster_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    Result result;
    auto process = Subprocess::Start(argv, base + ".out", base + ".err");
    if (process.ok()) {
      std::optional<int> status = process->Wait(std::chrono::seconds(timeout_s));
      if (!status) process->Stop(std::chrono::seconds(1));
      result.code = status ? ExitCodeOf(*status) : -1;
    }
    result.out = ReadFile(base + ".out");
    result.err = ReadFile(base + ".err");
    unlink((base + ".out").c_str());
    unlink((base + ".err").c_str());
    return result;
  }

  static inline LocalCluster* cluster_ = nullptr;
  static inline std::string work_dir_;
};

}  // namespace tminus::testing
