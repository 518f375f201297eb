#pragma once
// ASCII text helpers for protocol fields: letter case (HTTP header names are ASCII by their
// grammar) and HTTP's optional whitespace. Unlike std::tolower and std::isspace, no locale is
// consulted and no other byte counts.

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

// `text` without the optional whitespace (SP and HTAB, RFC 9110 §5.6.3) around it.
inline std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace hearth
