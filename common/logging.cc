#include "common/logging.h"

#include <cstdlib>
#include <mutex>

#include "spdlog/sinks/stdout_color_sinks.h"

namespace tminus {
namespace {

spdlog::level::level_enum InitialLevel() {
  const char* env = std::getenv("TMINUS_LOG_LEVEL");
  if (env == nullptr) return spdlog::level::info;
  const auto level = spdlog::level::from_str(env);
  return level == spdlog::level::off && std::string(env) != "off" ? spdlog::level::info : level;
}

std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}

spdlog::level::level_enum& CurrentLevel() {  // guarded by Mu()
  static spdlog::level::level_enum level = InitialLevel();
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard<std::mutex> lock(Mu());
  if (auto existing = spdlog::get(component)) return existing;
  static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(component, sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v");
  logger->set_level(CurrentLevel());
  spdlog::register_logger(logger);
  return logger;
}

bool SetLogLevel(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  std::lock_guard<std::mutex> lock(Mu());
  CurrentLevel() = parsed;
  spdlog::set_level(parsed);  // applies to every registered logger
  return true;
}

}  // namespace tminus
