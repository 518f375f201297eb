#pragma once
// ASCII letter case, for protocol names (HTTP header names are ASCII by their grammar).
// Unlike std::tolower, no locale is consulted and no other byte changes.

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

}  // namespace hearth
