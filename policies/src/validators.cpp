#include "validators.hpp"

#include <arpa/inet.h>

#include <array>
#include <cmath>
#include <string>

namespace hearth::policies::validators {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

bool luhn_ok(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (is_digit(c)) digits += c;
    else if (c != ' ' && c != '-') return false;
  }
  if (digits.size() < 13 || digits.size() > 19) return false;
  // A run of one digit (0000…) passes the sum but is never a card.
  if (digits.find_first_not_of(digits[0]) == std::string::npos) return false;
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool iban_ok(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == ' ') continue;
    if (!is_digit(c) && !is_upper(c)) return false;
    compact += c;
  }
  if (compact.size() < 15 || compact.size() > 34) return false;
  if (!is_upper(compact[0]) || !is_upper(compact[1]) || !is_digit(compact[2]) || !is_digit(compact[3])) return false;
  // Move the country code and check digits to the end, read letters as 10..35, mod 97.
  const std::string rotated = compact.substr(4) + compact.substr(0, 4);
  int remainder = 0;
  for (char c : rotated) {
    const int value = is_digit(c) ? c - '0' : c - 'A' + 10;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder == 1;
}

bool ssn_ok(std::string_view text) {
  if (text.size() != 11 || text[3] != '-' || text[6] != '-') return false;
  for (size_t i : {0u, 1u, 2u, 4u, 5u, 7u, 8u, 9u, 10u}) {
    if (!is_digit(text[i])) return false;
  }
  const std::string_view area = text.substr(0, 3), group = text.substr(4, 2), serial = text.substr(7, 4);
  if (area == "000" || area == "666" || area[0] == '9') return false;
  return group != "00" && serial != "0000";
}

bool phone_ok(std::string_view text) {
  int digits = 0;
  bool written = false;  // separators, parentheses or a leading +: a bare run is an id, not a phone
  for (char c : text) {
    if (is_digit(c)) ++digits;
    else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+') written = true;
    else return false;
  }
  return written && digits >= 10 && digits <= 15;
}

bool ipv6_ok(std::string_view text) {
  if (text.size() > 45) return false;
  const std::string s(text);
  std::array<unsigned char, 16> out{};
  if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) return false;
  // "::" and "::1" parse but say nothing about a host; two written groups are needed.
  int groups = 0;
  bool in_group = false;
  for (char c : text) {
    const bool hex = c != ':';
    if (hex && !in_group) ++groups;
    in_group = hex;
  }
  return groups >= 2;
}

double shannon_entropy(std::string_view text) {
  if (text.empty()) return 0.0;
  std::array<int, 256> counts{};
  for (char c : text) ++counts[static_cast<unsigned char>(c)];
  double bits = 0.0;
  const double n = static_cast<double>(text.size());
  for (int count : counts) {
    if (count == 0) continue;
    const double p = count / n;
    bits -= p * std::log2(p);
  }
  return bits;
}

bool high_entropy_key(std::string_view text) {
  if (text.size() < 24) return false;
  bool lower = false, upper = false, digit = false;
  for (char c : text) {
    lower = lower || is_lower(c);
    upper = upper || is_upper(c);
    digit = digit || is_digit(c);
  }
  // Paths, identifiers and hex digests miss one of the three; random keys rarely do.
  return lower && upper && digit && shannon_entropy(text) >= 4.0;
}

}  // namespace hearth::policies::validators
