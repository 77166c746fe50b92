#include "common/command_line.h"

#include "absl/strings/str_cat.h"
#include "common/text.h"

namespace tminus {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// The value of placeholder `name`, or false when it names none.
bool PlaceholderValue(absl::string_view name, const ChunkValues& values, std::string* out) {
  if (name == "start") {
    *out = absl::StrCat(values.start);
  } else if (name == "count") {
    *out = absl::StrCat(values.count);
  } else if (name == "chunk") {
    *out = absl::StrCat(values.chunk);
  } else if (name == "job") {
    *out = absl::StrCat(values.job);
  } else if (name == "attempt") {
    *out = absl::StrCat(values.attempt);
  } else {
    return false;
  }
  return true;
}

// Replaces the placeholders of one argument; on a malformed one, returns
// false with `bad` set to what is wrong.
bool Expand(absl::string_view arg, const ChunkValues& values, std::string* out, std::string* bad) {
  out->clear();
  for (size_t i = 0; i < arg.size(); ++i) {
    const char c = arg[i];
    const bool doubled = i + 1 < arg.size() && arg[i + 1] == c;
    if ((c == '{' || c == '}') && doubled) {
      out->push_back(c);
      ++i;
      continue;
    }
    if (c == '}') {
      *bad = "a lone '}' (write }} for a literal brace)";
      return false;
    }
    if (c != '{') {
      out->push_back(c);
      continue;
    }
    const size_t close = arg.find('}', i);
    if (close == absl::string_view::npos) {
      *bad = "a '{' with no '}' (write {{ for a literal brace)";
      return false;
    }
    const absl::string_view name = arg.substr(i + 1, close - i - 1);
    std::string value;
    if (!PlaceholderValue(name, values, &value)) {
      *bad = absl::StrCat("unknown placeholder {", EscapeForLog(name),
                          "}; known: {start} {count} {chunk} {job} {attempt}");
      return false;
    }
    out->append(value);
    i = close;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommandLine(absl::string_view line,
                                                          absl::string_view field) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (IsBlank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 < line.size()) word.push_back(line[++i]);
      continue;
    }
    if (c != '\'' && c != '"') {
      word.push_back(c);
      continue;
    }
    const size_t open = i;
    for (++i; i < line.size() && line[i] != c; ++i) {
      const bool escapes = c == '"' && line[i] == '\\' && i + 1 < line.size() &&
                           absl::string_view("\"\\$`").find(line[i + 1]) != absl::string_view::npos;
      if (escapes) ++i;
      word.push_back(line[i]);
    }
    if (i >= line.size()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": the quote ", std::string(1, c),
                                                     " at byte ", open, " is never closed"));
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": the command is empty"));
  return words;
}

absl::Status CheckCommandTemplate(const std::vector<std::string>& argv, absl::string_view field) {
  std::string expanded;
  std::string bad;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (!Expand(argv[i], ChunkValues{}, &expanded, &bad)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": argument ", i, " ('",
                                                     EscapeForLog(argv[i]), "') has ", bad));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ExpandCommand(const std::vector<std::string>& argv,
                                       const ChunkValues& values) {
  std::vector<std::string> out(argv.size());
  std::string bad;
  for (size_t i = 0; i < argv.size(); ++i) Expand(argv[i], values, &out[i], &bad);
  return out;
}

}  // namespace tminus
