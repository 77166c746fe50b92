// One spdlog logger per component over one shared stderr sink.
// Lines read `key=value` with ids first, e.g. "job=12 chunk=7 attempt=2 ...".
#pragma once

#include <memory>
#include <string>

#include "spdlog/spdlog.h"

namespace tminus {

// Returns the logger for `component` ("coordinator", "worker", ...), creating
// it on first use. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Sets the level of every logger, present and future: trace, debug, info,
// warn, error, off. Returns false for an unknown name.
bool SetLogLevel(const std::string& level);

// "text" (the default) or "json" (one object a line: time, level, component,
// msg), for every logger, present and future. False for another name.
bool SetLogFormat(const std::string& format);

}  // namespace tminus
