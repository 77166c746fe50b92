// Linked into every test binary: when the binary ends, the folders and files
// its tests made under TempDir() and named with its pid ("tminus-NAME-PID",
// "tminus-NAME-PID-N") are removed, failed tests' included, so a run leaves
// nothing behind. TMINUS_KEEP_TEST_DIRS=1 keeps them (to read the logs).
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tminus::testing {
namespace {

// "tminus-...-PID" or "tminus-...-PID-..." (or ".PID.ext" ends: files).
bool MadeByThisProcess(const std::string& name, const std::string& pid) {
  if (name.rfind("tminus-", 0) != 0) return false;
  const std::string tag = "-" + pid;
  for (size_t at = name.find(tag); at != std::string::npos; at = name.find(tag, at + 1)) {
    const size_t end = at + tag.size();
    if (end == name.size() || name[end] == '-' || name[end] == '.') return true;
  }
  return false;
}

class RemoveTestDirs : public ::testing::Environment {
 public:
  void TearDown() override {
    if (std::getenv("TMINUS_KEEP_TEST_DIRS") != nullptr) return;
    const std::string root = ::testing::TempDir();
    const std::string pid = std::to_string(getpid());
    DIR* dir = opendir(root.c_str());
    if (dir == nullptr) return;
    std::vector<std::string> mine;
    while (const dirent* entry = readdir(dir)) {
      if (MadeByThisProcess(entry->d_name, pid)) mine.push_back(root + "/" + entry->d_name);
    }
    closedir(dir);
    for (const std::string& path : mine) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  }
};

[[maybe_unused]] ::testing::Environment* const kRemoveTestDirs =
    ::testing::AddGlobalTestEnvironment(new RemoveTestDirs);

}  // namespace
}  // namespace tminus::testing
