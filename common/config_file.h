// The daemons' --config reader: strict TOML (toml++), in place of CLI11's
// own reader, which is lenient by design: it took `name = "unterminated` as
// the string `"unterminated`, and read `--config /dev/zero` until memory ran
// out. This one reads at most kMaxBytes, refuses anything that is not TOML
// (naming the line), and hands CLI11 one item per top-level key: strings as
// they are, numbers and booleans as TOML writes them, arrays as lists.
// Tables are refused: the daemons have no sections.
//
// Threading: stateless; thread-safe.
#pragma once

#include <cstddef>
#include <istream>
#include <vector>

#include "CLI/CLI.hpp"

namespace tminus {

class StrictTomlConfig : public CLI::ConfigTOML {
 public:
  static constexpr size_t kMaxBytes = size_t{1} << 20;
  // Throws CLI::ConfigError naming what is wrong (and where).
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

}  // namespace tminus
