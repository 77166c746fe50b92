// Placement: worker labels ("zone=b") and the selectors jobs use to choose
// workers. One syntax for both, checked at every edge (flags, Hello,
// SubmitJob), so a selector can always be written for a label a worker has.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tminus {

using Labels = std::map<std::string, std::string>;

// Documented limits (docs/api.md).
inline constexpr size_t kMaxWorkerLabels = 32;
inline constexpr size_t kMaxSelectorTerms = 16;
inline constexpr size_t kMaxPlacementWorkers = 256;
inline constexpr size_t kMaxPlacementKeyBytes = 63;
inline constexpr size_t kMaxPlacementValueBytes = 128;

// Keys: 1-63 of [A-Za-z0-9._/-], starting and ending with a letter or digit.
// Values: 0-128 visible ASCII characters or spaces, no comma (the separator
// of --on), no space at either end. INVALID_ARGUMENT naming `field`.
absl::Status CheckLabel(absl::string_view key, absl::string_view value, absl::string_view field);
// At most `max_terms` entries, each checked with CheckLabel.
absl::Status CheckLabels(const Labels& labels, absl::string_view field, size_t max_terms);

// "key=value" into *labels (a key given twice is an error naming `field`).
absl::Status ParseLabel(absl::string_view text, absl::string_view field, Labels* labels);
// "key=value[,key=value...]" into *labels.
absl::Status ParseSelector(absl::string_view text, absl::string_view field, Labels* labels);
// "a,b,c" into names; empty items and duplicates are errors naming `field`.
absl::Status ParseNameList(absl::string_view text, absl::string_view field,
                           std::vector<std::string>* names);

// True when every term of the selector is a label of the worker, equal.
bool SelectorMatches(const Labels& selector, const Labels& labels);
// "key=value,key=value" (map order); "" for an empty selector.
std::string FormatLabels(const Labels& labels);

// A text fit to be a label value: control characters and commas become
// spaces, runs of spaces one space, trimmed, cut to the value limit. For
// labels the worker finds itself (cpu_model from /proc/cpuinfo).
std::string SanitizeLabelValue(absl::string_view text);

}  // namespace tminus
