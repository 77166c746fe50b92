#include "common/config_file.h"

#include <cstdio>
#include <string>

#include <toml++/toml.h>

#include "absl/strings/str_cat.h"

namespace tminus {
namespace {

std::string ReadCapped(std::istream& input) {
  std::string text(StrictTomlConfig::kMaxBytes + 1, '\0');
  input.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(input.gcount()));
  if (text.size() > StrictTomlConfig::kMaxBytes) {
    throw CLI::ConfigError(absl::StrCat("the file is larger than ",
                                        StrictTomlConfig::kMaxBytes >> 20,
                                        " MiB; a file of flags is a few lines"));
  }
  return text;
}

// One TOML value as the text a flag would take.
std::string Scalar(const toml::node& node, const std::string& key) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* number = node.as_integer()) return std::to_string(number->get());
  if (const auto* flag = node.as_boolean()) return flag->get() ? "true" : "false";
  if (const auto* real = node.as_floating_point()) {
    char buffer[40];
    std::snprintf(buffer, sizeof(buffer), "%.17g", real->get());
    return buffer;
  }
  throw CLI::ConfigError(absl::StrCat(key, ": takes a string, a number, a boolean or an array of "
                                      "them (line ", node.source().begin.line, ")"));
}

}  // namespace

std::vector<CLI::ConfigItem> StrictTomlConfig::from_config(std::istream& input) const {
  const std::string text = ReadCapped(input);
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error& error) {
    throw CLI::ConfigError(absl::StrCat("not valid TOML at line ", error.source().begin.line,
                                        ", column ", error.source().begin.column, ": ",
                                        std::string(error.description())));
  }
  std::vector<CLI::ConfigItem> items;
  for (const auto& [key, node] : table) {
    CLI::ConfigItem item;
    item.name = std::string(key.str());
    if (node.is_table()) {
      throw CLI::ConfigError(absl::StrCat("[", item.name, "]: the daemons' flags have no "
                                          "sections; write them at the top level"));
    }
    if (const auto* list = node.as_array()) {
      for (const toml::node& element : *list) item.inputs.push_back(Scalar(element, item.name));
    } else {
      item.inputs.push_back(Scalar(node, item.name));
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace tminus
