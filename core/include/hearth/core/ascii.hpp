#pragma once
// ASCII letter case, for protocol names (HTTP header names are ASCII by their grammar).
// Unlike std::tolower, no locale is consulted and no other byte changes.

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lowered(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = ascii_lower(c);
  return lower;
}

// Whether `a` and `b` are the same but for ASCII letter case.
inline bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace hearth
