#include "common/parse_count.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

#include <cctype>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tminus {
namespace {

using Int128 = __int128;
constexpr Int128 kCap = Int128{1} << 100;  // far above int64, far below overflow

int SuffixExponent(char c) {
  switch (c) {
    case 'k': case 'K': return 3;
    case 'M': return 6;
    case 'G': return 9;
    case 'T': return 12;
    case 'P': return 15;
    case 'E': return 18;
    default: return -1;
  }
}

struct Decimal {
  Int128 digits = 0;  // all digits read, fraction included
  int fraction_digits = 0;
  int exponent = 0;
  bool negative = false;
};

// Returns false on a malformed string.
bool Scan(const std::string& text, Decimal* out) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) out->negative = text[i++] == '-';
  int digit_count = 0;
  bool in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (out->digits < kCap) out->digits = out->digits * 10 + (c - '0');
      else if (!in_fraction) return false;  // absurdly long
      if (in_fraction) ++out->fraction_digits;
      ++digit_count;
    } else if (c == '_' && digit_count > 0) {
      continue;
    } else if (c == '.' && !in_fraction) {
      in_fraction = true;
    } else {
      break;
    }
  }
  if (digit_count == 0) return false;
  if (i == text.size()) return true;
  if (text[i] == 'e' || (text[i] == 'E' && i + 1 < text.size())) {
    const std::string rest = text.substr(i + 1);
    if (rest.empty() || rest.size() > 3) return false;
    size_t j = rest[0] == '+' || rest[0] == '-' ? 1 : 0;
    if (j == rest.size()) return false;
    int value = 0;
    for (; j < rest.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(rest[j]))) return false;
      value = value * 10 + (rest[j] - '0');
    }
    out->exponent = rest[0] == '-' ? -value : value;
    return true;
  }
  const int suffix = SuffixExponent(text[i]);
  if (suffix < 0 || i + 1 != text.size()) return false;
  out->exponent = suffix;
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseCount(const std::string& text, const std::string& field) {
  Decimal d;
  if (!Scan(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": '", text, "' is not a count (examples: 1000000, 4e9, 40G)"));
  }
  const std::string too_big = absl::StrCat(field, ": '", text, "' is larger than ",
                                           std::numeric_limits<int64_t>::max());
  Int128 value = d.digits;
  int shift = d.exponent - d.fraction_digits;
  for (; shift > 0; --shift) {
    if (value > kCap) return absl::InvalidArgumentError(too_big);
    value *= 10;
  }
  for (; shift < 0; ++shift) {
    if (value % 10 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", text, "' is not a whole number"));
    }
    value /= 10;
  }
  if (value > std::numeric_limits<int64_t>::max()) return absl::InvalidArgumentError(too_big);
  return static_cast<int64_t>(d.negative ? -value : value);
}

bool ParseAge(absl::string_view text, absl::Duration* age) {
  int64_t days = 0;
  if (absl::ConsumeSuffix(&text, "d") && absl::SimpleAtoi(text, &days)) {
    *age = absl::Hours(24) * days;
    return true;
  }
  return absl::ParseDuration(text, age);
}

absl::StatusOr<Retention> ParseRetention(const std::string& text, const std::string& field) {
  Retention retention;
  if (text.empty()) return retention;
  const std::vector<std::string> parts = absl::StrSplit(text, ',');
  bool count_seen = false;
  bool age_seen = false;
  for (const std::string& part : parts) {
    int64_t count = 0;
    absl::Duration age;
    if (!count_seen && absl::SimpleAtoi(part, &count) && count >= 0) {
      retention.jobs = count;
      count_seen = true;
    } else if (!age_seen && ParseAge(part, &age) && age > absl::ZeroDuration() &&
               age < absl::Hours(24 * 365 * 100)) {
      retention.age_ns = absl::ToInt64Nanoseconds(age);
      age_seen = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": '", text, "' is not COUNT, AGE or COUNT,AGE (e.g. 100000, 30d, 10000,7d)"));
    }
  }
  return retention;
}

}  // namespace tminus
