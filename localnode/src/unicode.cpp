#include "unicode.hpp"

#include <unicode/uchar.h>

#include <array>

namespace hearth::localnode::unicode {
namespace {

// The bytes a well-formed sequence starting with `lead` needs (0: not a lead byte), and the
// range its second byte must fall in (Unicode 15, table 3-7).
struct LeadInfo {
  uint8_t len;
  uint8_t lo;
  uint8_t hi;
};

LeadInfo lead_info(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// How many bytes from `pos` match a well-formed sequence so far (at most info.len).
size_t matched_bytes(std::string_view s, size_t pos, const LeadInfo& info) {
  if (info.len == 0) return 0;
  size_t n = 1;
  for (; n < info.len && pos + n < s.size(); ++n) {
    const auto b = static_cast<uint8_t>(s[pos + n]);
    const uint8_t lo = n == 1 ? info.lo : 0x80;
    const uint8_t hi = n == 1 ? info.hi : 0xBF;
    if (b < lo || b > hi) break;
  }
  return n;
}

struct ByteTables {
  std::array<std::string, 256> to_char;
  std::array<int16_t, 512> from_char{};  // code points below U+0200 -> byte, or -1
};

ByteTables make_byte_tables() {
  ByteTables t;
  t.from_char.fill(-1);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable =
        (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const uint32_t cp = printable ? static_cast<uint32_t>(b) : static_cast<uint32_t>(next++);
    append_utf8(t.to_char[static_cast<size_t>(b)], cp);
    t.from_char[cp] = static_cast<int16_t>(b);
  }
  return t;
}

const ByteTables& byte_tables() {
  static const ByteTables tables = make_byte_tables();
  return tables;
}

}  // namespace

Decoded decode_utf8(std::string_view s, size_t pos) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  if (lead < 0x80) return {lead, 1};
  const LeadInfo info = lead_info(lead);
  if (info.len == 0 || matched_bytes(s, pos, info) != info.len) return {kInvalid, 1};
  uint32_t cp = lead & (0x7Fu >> info.len);
  for (size_t i = 1; i < info.len; ++i) cp = (cp << 6) | (static_cast<uint8_t>(s[pos + i]) & 0x3Fu);
  return {cp, info.len};
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint8_t char_class(uint32_t cp) {
  if (cp == kInvalid) return 0;
  // ASCII first: most text is.
  if (cp < 0x80) {
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return kLetter;
    if (cp >= '0' && cp <= '9') return kNumber;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return kWhitespace;
    return 0;
  }
  const auto c = static_cast<UChar32>(cp);
  if (u_isUWhiteSpace(c)) return kWhitespace;
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return kNumber;
    default:
      return 0;
  }
}

std::string_view byte_char(uint8_t b) {
  return byte_tables().to_char[b];
}

int char_byte(uint32_t cp) {
  return cp < 512 ? byte_tables().from_char[cp] : -1;
}

size_t complete_utf8_prefix(std::string_view s) {
  // Only the last three bytes can start an unfinished sequence.
  const size_t from = s.size() > 3 ? s.size() - 3 : 0;
  for (size_t pos = s.size(); pos-- > from;) {
    const auto b = static_cast<uint8_t>(s[pos]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const LeadInfo info = lead_info(b);
    if (info.len <= 1) return s.size();
    const size_t have = s.size() - pos;
    return have < info.len && matched_bytes(s, pos, info) == have ? pos : s.size();
  }
  return s.size();
}

}  // namespace hearth::localnode::unicode
