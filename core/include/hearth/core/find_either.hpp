#pragma once
// The first of two characters in a text. std::string_view::find_first_of calls memchr once per
// byte of the text (it searches the set for each byte), which showed up under load wherever
// the gateway looks for line breaks or URL delimiters; two memchr scans, the second bounded by
// the first's hit, cost a fraction of that.

#include <cstddef>
#include <cstring>
#include <string_view>

namespace hearth {

// The position of the first `a` or `b` in `text` at or after `pos`, or npos.
inline std::size_t find_either(std::string_view text, char a, char b, std::size_t pos = 0) {
  if (pos >= text.size()) return std::string_view::npos;
  const char* begin = text.data() + pos;
  const std::size_t n = text.size() - pos;
  const void* hit_a = std::memchr(begin, a, n);
  const std::size_t until = hit_a ? static_cast<const char*>(hit_a) - begin : n;
  const void* hit_b = std::memchr(begin, b, until);
  if (hit_b) return pos + (static_cast<const char*>(hit_b) - begin);
  return hit_a ? pos + until : std::string_view::npos;
}

}  // namespace hearth
