#include "audit_line.hpp"

#include "hearth/policies/digest.hpp"

namespace hearth::policies::audit_line {

std::string sign(const std::string& record, std::string_view key) {
  if (key.empty() || record.empty() || record.back() != '}') return record;
  std::string line = record.substr(0, record.size() - 1);
  line += kHmacOpen;
  line += hmac_sha256_hex(key, record);
  line += "\"}";
  return line;
}

bool is_hex64(std::string_view s) {
  if (s.size() != kHexLength) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool split(std::string_view line, std::string& record, std::string& hmac) {
  if (line.size() < kHmacSuffixLength + 2) return false;
  const size_t at = line.size() - kHmacSuffixLength;
  if (line.substr(at, kHmacOpen.size()) != kHmacOpen || line.substr(line.size() - 2) != "\"}") return false;
  const std::string_view hex = line.substr(at + kHmacOpen.size(), kHexLength);
  if (!is_hex64(hex)) return false;
  record.assign(line.substr(0, at));
  record += '}';
  hmac.assign(hex);
  return true;
}

}  // namespace hearth::policies::audit_line
