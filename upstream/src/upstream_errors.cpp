#include "hearth/upstream/upstream_errors.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace hearth::upstream {

namespace {

constexpr std::size_t kMaxMessageBytes = 1000;

// Shortens to about kMaxMessageBytes without splitting a UTF-8 sequence (the message ends up
// in a JSON error body).
std::string clip(std::string text) {
  if (text.size() <= kMaxMessageBytes) return text;
  std::size_t end = kMaxMessageBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "...";
}

// A body that is not JSON may hold any bytes: keep printable ASCII only.
std::string printable(std::string_view body) {
  std::string out;
  out.reserve(std::min(body.size(), kMaxMessageBytes));
  for (char c : body.substr(0, kMaxMessageBytes)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7F ? c : ' ');
  }
  return out;
}

std::string string_field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

}  // namespace

ErrorCode error_code_for_status(int status) {
  if (status == 429) return ErrorCode::RateLimited;
  if (status == 408) return ErrorCode::UpstreamTimeout;
  if (status == 401 || status == 403) return ErrorCode::UpstreamError;
  if (status >= 400 && status < 500) return ErrorCode::UpstreamRejected;
  return ErrorCode::UpstreamError;
}

UpstreamErrorDetail parse_error_body(std::string_view body) {
  UpstreamErrorDetail detail;
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object()) {
    auto error = json.find("error");
    if (error != json.end() && error->is_object()) {
      detail.message = string_field(*error, "message");
      detail.param = string_field(*error, "param");
      detail.type = string_field(*error, "type");
    } else if (error != json.end() && error->is_string()) {
      detail.message = error->get<std::string>();
    }
    if (detail.message.empty()) detail.message = string_field(json, "message");
    if (detail.message.empty()) detail.message = string_field(json, "detail");
    if (detail.message.empty()) {
      auto nested = json.find("detail");  // FastAPI validation errors: a list of objects
      if (nested != json.end() && !nested->is_null()) detail.message = nested->dump();
    }
    if (!detail.message.empty()) {
      detail.message = clip(std::move(detail.message));
      return detail;
    }
  }
  detail.message = printable(body);
  return detail;
}

Error error_from_status(std::string_view upstream_name, int status, std::string_view body,
                        std::optional<Duration> retry_after, std::string_view secret) {
  UpstreamErrorDetail detail = parse_error_body(body);
  Error error;
  error.code = error_code_for_status(status);
  error.upstream_status = status;
  error.retry_after = retry_after;
  std::string prefix = "upstream " + std::string(upstream_name);
  if (status == 401 || status == 403) {
    error.message = prefix + " rejected hearth's credentials (HTTP " + std::to_string(status) + ")";
  } else if (error.code == ErrorCode::RateLimited) {
    error.message = prefix + " is rate limiting (HTTP 429)";
  } else {
    error.message = prefix + " answered HTTP " + std::to_string(status);
  }
  if (!detail.message.empty()) error.message += ": " + detail.message;
  if (error.code == ErrorCode::UpstreamRejected) error.param = detail.param;
  error.message = scrub_secret(std::move(error.message), secret);
  error.param = scrub_secret(std::move(error.param), secret);
  return error;
}

std::string scrub_secret(std::string text, std::string_view secret) {
  constexpr std::string_view kRedacted = "[redacted]";
  if (!secret.empty()) {
    for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  // Providers echo masked keys ("sk-abc***xyz"); those go too.
  for (auto pos = text.find("sk-"); pos != std::string::npos; pos = text.find("sk-", pos)) {
    bool starts_word = pos == 0 || std::isspace(static_cast<unsigned char>(text[pos - 1])) ||
                       text[pos - 1] == ':' || text[pos - 1] == '\'' || text[pos - 1] == '"';
    auto end = pos + 3;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '_' || text[end] == '*')) {
      ++end;
    }
    if (!starts_word || end - pos < 8) {
      pos += 3;
      continue;
    }
    text.replace(pos, end - pos, kRedacted);
    pos += kRedacted.size();
  }
  return text;
}

Error timeout_error(std::string_view which, Duration limit) {
  return make_error(ErrorCode::UpstreamTimeout, "upstream timed out (" + std::string(which) +
                                                    " timeout " + std::to_string(limit.count()) + "ms)");
}

}  // namespace hearth::upstream
