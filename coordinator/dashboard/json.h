// A small streaming JSON writer for the HTTP API: objects, arrays, strings
// (escaped; bytes that are not UTF-8 become U+FFFD), integers and finite
// doubles (NaN and infinities become 0: JSON has neither).
//
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tminus {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Key and value in one call.
  template <typename T>
  JsonWriter& Field(absl::string_view key, const T& value) {
    Key(key);
    return Value(value);
  }

  const std::string& text() const { return out_; }

 private:
  JsonWriter& Value(absl::string_view v) { return String(v); }
  JsonWriter& Value(const std::string& v) { return String(v); }
  JsonWriter& Value(const char* v) { return String(v); }
  JsonWriter& Value(bool v) { return Bool(v); }
  JsonWriter& Value(double v) { return Double(v); }
  JsonWriter& Value(const std::optional<double>& v) { return v.has_value() ? Double(*v) : Null(); }
  template <typename T>
  JsonWriter& Value(const std::vector<T>& values) {
    BeginArray();
    for (const T& v : values) Value(v);
    return EndArray();
  }
  // Labels and selectors: an object of strings.
  JsonWriter& Value(const std::map<std::string, std::string>& values) {
    BeginObject();
    for (const auto& [key, value] : values) Field(key, value);
    return EndObject();
  }
  JsonWriter& Value(int64_t v) { return Int(v); }
  JsonWriter& Value(int32_t v) { return Int(v); }
  JsonWriter& Value(uint64_t v) { return Int(static_cast<int64_t>(v)); }
  void Separate();  // a comma before every element but the first

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace tminus
