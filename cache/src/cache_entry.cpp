#include "hearth/cache/cache_entry.hpp"

#include <charconv>

#include "hearth/cache/cache_policy.hpp"
#include "hearth/core/json_parse.hpp"

namespace hearth::cache {
namespace {

// "hearth-cache 1 <body bytes>\n<key>\n<body>"
constexpr std::string_view kMagic = "hearth-cache 1 ";

Error corrupt(std::string why) { return make_error(ErrorCode::Internal, "cache entry: " + why); }

}  // namespace

std::string encode_entry(std::string_view key, std::string_view body_text) {
  std::string entry;
  entry.reserve(kMagic.size() + 24 + key.size() + body_text.size());
  entry += kMagic;
  entry += std::to_string(body_text.size());
  entry += '\n';
  entry += key;
  entry += '\n';
  entry += body_text;
  return entry;
}

Result<Json> decode_entry(std::string_view bytes, std::string_view key) {
  if (bytes.substr(0, kMagic.size()) != kMagic) return corrupt("not a hearth entry (or another version)");
  bytes.remove_prefix(kMagic.size());
  size_t length = 0;
  auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), length);
  if (ec != std::errc() || end == bytes.data() + bytes.size() || *end != '\n') {
    return corrupt("bad length");
  }
  bytes.remove_prefix(static_cast<size_t>(end - bytes.data()) + 1);
  if (bytes.substr(0, key.size()) != key || bytes.size() <= key.size() || bytes[key.size()] != '\n') {
    return corrupt("stored under another key");
  }
  bytes.remove_prefix(key.size() + 1);
  if (bytes.size() != length) return corrupt("truncated or padded");
  std::optional<Json> body = parse_json(bytes);
  if (!body) return corrupt("the body is not JSON");
  if (!is_cacheable_completion(*body)) return corrupt("the body is not a finished completion");
  return std::move(*body);
}

}  // namespace hearth::cache
