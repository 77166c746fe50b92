#include "common/logging.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

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

// `text` as a JSON string: quoted; quotes, backslashes and control
// characters escaped.
void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20) {
      for (const char e : {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 15]}) {
        out->push_back(e);
      }
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// The length of a field's key at the start of `token` ("job" of "job=12"),
// or 0: a lower-case letter, then letters, digits and '_', then '='.
size_t KeyLength(std::string_view token) {
  if (token.empty() || token[0] < 'a' || token[0] > 'z') return 0;
  for (size_t i = 1; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '=') return i;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0;
  }
  return 0;
}

// The message and its fields as JSON members.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string members = JsonLogMembers(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(members.data(), members.data() + members.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

constexpr char kTextPattern[] = "%Y-%m-%dT%H:%M:%S.%e %^%L%$ [%n] %v";
// One JSON object a line, for log collectors (Loki, Elasticsearch, ...).
constexpr char kJsonPattern[] =
    R"({"time":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","component":"%n",%*})";

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

std::string JsonLogMembers(std::string_view message) {
  std::string out = "\"msg\":";
  AppendJsonString(message, &out);
  std::set<std::string_view> seen = {"time", "level", "component", "msg"};
  size_t at = 0;
  while (at < message.size()) {
    const size_t end = std::min(message.find(' ', at), message.size());
    const size_t key_length = KeyLength(message.substr(at, end - at));
    if (key_length == 0) {
      at = end + 1;
      continue;
    }
    const std::string_view key = message.substr(at, key_length);
    size_t value_start = at + key_length + 1;
    size_t value_end = end;
    size_t next = end + 1;
    if (value_start < message.size() && message[value_start] == '"') {
      // A quoted value runs to its closing quote (escaped quotes inside).
      size_t close = value_start + 1;
      while (close < message.size() && message[close] != '"') close += message[close] == '\\' ? 2 : 1;
      ++value_start;
      value_end = std::min(close, message.size());
      next = close + 1;
    }
    if (seen.insert(key).second) {
      out += ',';
      AppendJsonString(key, &out);
      out += ':';
      AppendJsonString(message.substr(value_start, value_end - value_start), &out);
    }
    at = next;
  }
  return out;
}

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
