#pragma once
// Checks run on the candidates the scanner reports: checksums (Luhn, IBAN mod-97), number
// plans (US SSN), and shapes a regex alone cannot judge (IPv6, entropy of a key).

#include <string_view>

namespace hearth::policies::validators {

bool luhn_ok(std::string_view text);   // 13-19 digits (spaces and dashes ignored), Luhn sum
bool iban_ok(std::string_view text);   // 15-34 characters (spaces ignored), mod 97 == 1
bool ssn_ok(std::string_view text);    // NNN-NN-NNNN outside the never-issued ranges
bool phone_ok(std::string_view text);  // 10-15 digits, written with separators or a +
bool ipv6_ok(std::string_view text);   // inet_pton accepts it and it has two groups
double shannon_entropy(std::string_view text);  // bits per byte
bool high_entropy_key(std::string_view text);   // >= 24 chars, lower+upper+digit, >= 4 bits/char

}  // namespace hearth::policies::validators
