// One spdlog logger per component over one shared stderr sink.
// Lines read `key=value` with ids first, e.g. "job=12 chunk=7 attempt=2 ...".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "spdlog/spdlog.h"

namespace tminus {

// Returns the logger for `component` ("coordinator", "worker", ...), creating
// it on first use. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Sets the level of every logger, present and future: trace, debug, info,
// warn, error, off. Returns false for an unknown name.
bool SetLogLevel(const std::string& level);

// "text" (the default) or "json" (one object a line: time, level, component,
// msg, and each `key=value` of the message as a key of its own), for every
// logger, present and future. False for another name.
bool SetLogFormat(const std::string& format);

// The JSON members a message becomes (exposed for tests): "msg" with the
// whole message, then each `key=value` or `key="quoted value"` in it as
// "key":"value" (string values; the first of a repeated key; none named
// time, level, component or msg). `message`: "job=12 chunk=7 state=failed".
std::string JsonLogMembers(std::string_view message);

}  // namespace tminus
