#include "common/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace tminus {
namespace {

bool IsKeyChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '/' || c == '-';
}

bool IsValueChar(char c) { return c >= 0x20 && c <= 0x7e && c != ','; }

absl::Status CheckKey(absl::string_view key, absl::string_view field) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": label key '", key, "' ", why));
  };
  if (key.empty() || key.size() > kMaxPlacementKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": label keys are 1 to ",
                                                   kMaxPlacementKeyBytes, " bytes, got ",
                                                   key.size()));
  }
  for (char c : key) {
    if (!IsKeyChar(c)) return bad("may only hold letters, digits and . _ / -");
  }
  const auto alnum = [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); };
  if (!alnum(key.front()) || !alnum(key.back())) {
    return bad("must start and end with a letter or digit");
  }
  return absl::OkStatus();
}

absl::Status CheckValue(absl::string_view key, absl::string_view value,
                        absl::string_view field) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the value of '", key, "' ", why));
  };
  if (value.size() > kMaxPlacementValueBytes) {
    return bad(absl::StrCat("is ", value.size(), " bytes; at most ", kMaxPlacementValueBytes));
  }
  for (char c : value) {
    if (!IsValueChar(c)) return bad("may only hold visible ASCII and spaces, and no comma");
  }
  if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) {
    return bad("may not start or end with a space");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckLabel(absl::string_view key, absl::string_view value, absl::string_view field) {
  RETURN_IF_ERROR(CheckKey(key, field));
  return CheckValue(key, value, field);
}

absl::Status CheckLabels(const Labels& labels, absl::string_view field, size_t max_terms) {
  if (labels.size() > max_terms) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", max_terms, " labels, got ", labels.size()));
  }
  for (const auto& [key, value] : labels) {
    RETURN_IF_ERROR(CheckLabel(key, value, field));
  }
  return absl::OkStatus();
}

absl::Status ParseLabel(absl::string_view text, absl::string_view field, Labels* labels) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": expected key=value, got '", text, "'"));
  }
  const std::string key(text.substr(0, eq));
  const std::string value(text.substr(eq + 1));
  RETURN_IF_ERROR(CheckLabel(key, value, field));
  if (!labels->emplace(key, value).second) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", key, "' given twice"));
  }
  return absl::OkStatus();
}

absl::Status ParseSelector(absl::string_view text, absl::string_view field, Labels* labels) {
  for (absl::string_view term : absl::StrSplit(text, ',')) {
    RETURN_IF_ERROR(ParseLabel(term, field, labels));
  }
  return CheckLabels(*labels, field, kMaxSelectorTerms);
}

absl::Status ParseNameList(absl::string_view text, absl::string_view field,
                           std::vector<std::string>* names) {
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": empty name in '", text, "'"));
    }
    for (const std::string& seen : *names) {
      if (seen == name) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": '", name, "' given twice"));
      }
    }
    names->emplace_back(name);
  }
  return absl::OkStatus();
}

bool SelectorMatches(const Labels& selector, const Labels& labels) {
  for (const auto& [key, value] : selector) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

std::string FormatLabels(const Labels& labels) {
  return absl::StrJoin(labels, ",", absl::PairFormatter("="));
}

std::string SanitizeLabelValue(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const char kept = IsValueChar(c) ? c : ' ';
    if (kept == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(kept);
  }
  if (out.size() > kMaxPlacementValueBytes) out.resize(kMaxPlacementValueBytes);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace tminus
