#include "common/logging.h"

#include <cstdlib>
#include <mutex>

#include <string_view>

#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace tminus {
namespace {

spdlog::level::level_enum InitialLevel() {
  const char* env = std::getenv("TMINUS_LOG_LEVEL");
  if (env == nullptr) return spdlog::level::info;
  const auto level = spdlog::level::from_str(env);
  return level == spdlog::level::off && std::string(env) != "off" ? spdlog::level::info : level;
}

// The message as the body of a JSON string: quotes, backslashes and control
// characters escaped.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (byte < 0x20) {
        for (const char e : {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]}) {
          dest.push_back(e);
        }
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

constexpr char kTextPattern[] = "%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v";
// One JSON object a line, for log collectors (Loki, Elasticsearch, ...).
constexpr char kJsonPattern[] =
    R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","component":"%n","msg":"%*"})";

std::unique_ptr<spdlog::formatter> MakeFormatter(bool json) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (!json) {
    formatter->set_pattern(kTextPattern);
    return formatter;
  }
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(kJsonPattern);
  return formatter;
}

std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}

spdlog::level::level_enum& CurrentLevel() {  // guarded by Mu()
  static spdlog::level::level_enum level = InitialLevel();
  return level;
}

bool& JsonFormat() {  // guarded by Mu()
  static bool json = false;
  return json;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard<std::mutex> lock(Mu());
  if (auto existing = spdlog::get(component)) return existing;
  static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(component, sink);
  logger->set_formatter(MakeFormatter(JsonFormat()));
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

bool SetLogFormat(const std::string& format) {
  if (format != "text" && format != "json") return false;
  std::lock_guard<std::mutex> lock(Mu());
  JsonFormat() = format == "json";
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& logger) {
    logger->set_formatter(MakeFormatter(JsonFormat()));
  });
  return true;
}

}  // namespace tminus
