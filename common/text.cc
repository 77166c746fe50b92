#include "common/text.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tminus {
namespace {

// Length of the UTF-8 sequence at text[i] if it is valid (and printable,
// unless `controls`), else 0; its code point in *code_out.
size_t PrintableSequence(absl::string_view text, size_t i, uint32_t* code_out = nullptr,
                         bool controls = false) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (!controls && (lead < 0x20 || lead == 0x7f)) return 0;
  if (lead < 0x80) return 1;
  size_t length;
  uint32_t code;
  if ((lead & 0xe0) == 0xc0) { length = 2; code = lead & 0x1f; }
  else if ((lead & 0xf0) == 0xe0) { length = 3; code = lead & 0x0f; }
  else if ((lead & 0xf8) == 0xf0) { length = 4; code = lead & 0x07; }
  else return 0;
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  static constexpr uint32_t kMinOf[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinOf[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  if (!controls && code >= 0x80 && code <= 0x9f) return 0;  // C1 controls
  if (code_out != nullptr) *code_out = code;
  return length;
}

// The marks and overrides that reorder text on screen (a name that reads
// backwards, a line that hides its end): printable, but never shown raw.
bool IsBidiControl(uint32_t code) {
  return code == 0x061c || code == 0x200e || code == 0x200f || (code >= 0x202a && code <= 0x202e) ||
         (code >= 0x2066 && code <= 0x2069);
}

}  // namespace

bool IsVisibleAscii(absl::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsPrintableUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = PrintableSequence(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

bool IsUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = PrintableSequence(text, i, nullptr, true);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string Utf8Tail(absl::string_view text, size_t max_bytes) {
  std::string out;
  for (size_t i = text.size() > max_bytes ? text.size() - max_bytes : 0; i < text.size();) {
    const size_t length = PrintableSequence(text, i, nullptr, true);
    if (length == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  return out;
}

absl::Status CheckVisibleAscii(absl::string_view text, absl::string_view field, size_t min_bytes,
                               size_t max_bytes) {
  if (text.size() < min_bytes || text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be ", min_bytes, " to ",
                                                   max_bytes, " bytes, got ", text.size()));
  }
  if (!IsVisibleAscii(text)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": only visible ASCII characters (no spaces, control characters or non-ASCII)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPrintableUtf8(absl::string_view text, absl::string_view field,
                                size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", max_bytes, " bytes, got ", text.size()));
  }
  if (!IsPrintableUtf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be UTF-8 without control characters"));
  }
  return absl::OkStatus();
}

std::string EscapeForTerminal(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t code = 0;
    const size_t length = PrintableSequence(text, i, &code);
    if (length == 0) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", static_cast<uint8_t>(text[i])));
      ++i;
      continue;
    }
    if (IsBidiControl(code)) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", code));
    } else {
      out.append(text.data() + i, length);
    }
    i += length;
  }
  return out;
}

std::string EscapeForLog(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return EscapeForTerminal(text);
  // Cut on a character boundary, so the cut never shows as a bad byte.
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xc0) == 0x80) --cut;
  return absl::StrCat(EscapeForTerminal(text.substr(0, cut)), "...(", text.size(), " bytes)");
}

}  // namespace tminus
