#pragma once
// SHA-256 and HMAC-SHA256 (OpenSSL) as lower-case hex: policy hashes, the hashes of bytes
// sent to an upstream, and the audit log's chain and signatures.

#include <string>
#include <string_view>

namespace hearth::policies {

std::string sha256_hex(std::string_view bytes);
std::string hmac_sha256_hex(std::string_view key, std::string_view bytes);

}  // namespace hearth::policies
