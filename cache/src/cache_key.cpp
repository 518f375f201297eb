#include "hearth/cache/cache_key.hpp"

#include <array>
#include <cmath>

#include <openssl/sha.h>

namespace hearth::cache {
namespace {

// Fields that cannot change the answer.
constexpr std::array<std::string_view, 6> kIgnored{"stream", "stream_options", "user",
                                                   "metadata", "store", "model"};

// Top-level members that mean the same as absent at these values (OpenAI's defaults).
bool is_default(std::string_view name, const Json& value) {
  if (name == "n" || name == "top_p") return value.is_number() && value.get<double>() == 1.0;
  if (name == "presence_penalty" || name == "frequency_penalty") {
    return value.is_number() && value.get<double>() == 0.0;
  }
  if (name == "logprobs") return value.is_boolean() && !value.get<bool>();
  return false;
}

// One spelling per number: integral values as integers (1.0 → 1, -0.0 → 0), the rest as
// the shortest text that reads back as the same double.
Json canonical_number(const Json& value) {
  if (!value.is_number_float()) return value;
  const double d = value.get<double>();
  constexpr double kExact = 9007199254740992.0;  // 2^53: every integer below is exact
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= kExact) {
    return Json(static_cast<int64_t>(d));
  }
  return value;
}

// A copy with nulls dropped from objects and numbers in one spelling, all the way down.
Json canonical_value(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      Json out = Json::object();
      for (const auto& [name, member] : value.items()) {
        if (!member.is_null()) out[name] = canonical_value(member);
      }
      return out;
    }
    case Json::value_t::array: {
      Json out = Json::array();
      for (const auto& item : value) out.push_back(canonical_value(item));
      return out;
    }
    default:
      return canonical_number(value);
  }
}

bool ignored(std::string_view name) {
  for (auto field : kIgnored) {
    if (name == field) return true;
  }
  return false;
}

}  // namespace

Result<std::string> canonical_request(const ChatRequest& request, std::string_view resolved_route) {
  if (!request.body.json().is_object()) {
    return make_error(ErrorCode::InvalidRequest, "the request body is not a JSON object");
  }
  Json fields = Json::object();
  for (const auto& [name, member] : request.body.json().items()) {
    if (member.is_null() || ignored(name)) continue;
    Json value = canonical_value(member);
    if (is_default(name, value)) continue;
    fields[name] = std::move(value);
  }
  // max_tokens and max_completion_tokens are one field (the latter wins, as in the codec).
  fields.erase("max_tokens");
  fields.erase("max_completion_tokens");
  if (request.max_tokens) fields["max_completion_tokens"] = *request.max_tokens;

  // nlohmann's objects are ordered maps: the text below has sorted keys and no whitespace.
  Json canonical = {{"endpoint", request.endpoint == Endpoint::ChatCompletions ? "chat" : "completions"},
                    {"route", resolved_route},
                    {"request", std::move(fields)}};
  try {
    return canonical.dump();
  } catch (const Json::exception& e) {
    return make_error(ErrorCode::InvalidRequest, std::string("the request is not UTF-8: ") + e.what());
  }
}

std::string scope_name(CacheScope scope, const RequestContext& context) {
  if (scope == CacheScope::Shared) return "shared";
  return "app:" + context.app;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

std::string cache_key(std::string_view scope, std::string_view canonical) {
  std::string key = "hearth:v1:";
  key += scope;
  key += ':';
  key += sha256_hex(canonical);
  return key;
}

}  // namespace hearth::cache
