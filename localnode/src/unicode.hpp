#pragma once
// UTF-8 decoding, the Unicode character classes the pre-tokenizers need (letter, number,
// white space; from ICU), and GPT-2's byte <-> character mapping for byte-level BPE.
// Pure functions over constant tables: thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::localnode::unicode {

// Stands for a byte that does not start a valid UTF-8 sequence (decoded as length 1).
inline constexpr uint32_t kInvalid = 0xFFFFFFFFu;

struct Decoded {
  uint32_t cp = kInvalid;
  uint32_t len = 1;  // bytes consumed, at least 1
};

// Decodes the character at `pos` (< s.size()): overlong forms, surrogates, values above
// U+10FFFF and truncated sequences decode as kInvalid with length 1.
Decoded decode_utf8(std::string_view s, size_t pos);

void append_utf8(std::string& out, uint32_t cp);

// Character classes as the pre-tokenizer regexes use them: \p{L}, \p{N}, \s.
enum CharClass : uint8_t {
  kLetter = 1,      // general category L*
  kNumber = 2,      // general category N*
  kWhitespace = 4,  // the White_Space property
};
// kInvalid has no class (it counts as "other", like U+FFFD would).
uint8_t char_class(uint32_t cp);

// GPT-2's reversible byte -> printable character mapping (bytes that are printable Latin-1
// map to themselves, the others to U+0100 and up). byte_char(b) is its UTF-8 text.
std::string_view byte_char(uint8_t b);
// The byte a mapped character stands for, or -1 when `cp` is not in the mapping.
int char_byte(uint32_t cp);

// The length of the longest prefix of `s` that does not end inside an incomplete (but so far
// valid) UTF-8 sequence: what can be emitted now while more bytes may follow.
size_t complete_utf8_prefix(std::string_view s);

}  // namespace hearth::localnode::unicode
