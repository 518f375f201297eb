#pragma once
// The shape of one audit line, shared by the writer and the verifier: the record text is
// signed, and the signature is appended as the line's last member.

#include <string>
#include <string_view>

namespace hearth::policies::audit_line {

inline constexpr std::string_view kHmacOpen = ",\"hmac\":\"";
inline constexpr size_t kHexLength = 64;
// ,"hmac":"<64 hex>"}
inline constexpr size_t kHmacSuffixLength = kHmacOpen.size() + kHexLength + 2;

// `record` (a JSON object's text) with its HMAC appended as "hmac"; unchanged without a key.
std::string sign(const std::string& record, std::string_view key);

// Splits a signed line into the record text that was signed and its hex HMAC; false when the
// line has no hmac member in last place.
bool split(std::string_view line, std::string& record, std::string& hmac);

bool is_hex64(std::string_view s);

}  // namespace hearth::policies::audit_line
