#include "request_parser.hpp"

#include "hearth/core/ascii.hpp"

namespace hearth::gateway::detail {
namespace {

// Keeps the first of a repeated field, as a field container's lookup returns it.
void keep_first(std::string& to, bool& seen, std::string_view from) {
  if (seen) return;
  seen = true;
  to.assign(from);
}

}  // namespace

void ClientRequest::clear() {
  method.clear();
  target.clear();
  version = 11;
  keep_alive = false;
  expects_continue = false;
  authorization.clear();
  api_key.clear();
  request_id.clear();
  cache_control.clear();
  policy_headers.clear();
  body.clear();
}

void RequestParser::on_request(std::string_view method, std::string_view target, int version,
                               error_code&) {
  request_.method.assign(method);
  request_.target.assign(target);
  request_.version = version;
}

void RequestParser::on_field(std::string_view name, std::string_view value, error_code&) {
  auto& seen = seen_;
  if (name_is(name, "authorization")) {
    keep_first(request_.authorization, seen.authorization, value);
  } else if (name_is(name, "cache-control")) {
    keep_first(request_.cache_control, seen.cache_control, value);
  } else if (name_is(name, "expect")) {
    if (!seen.expect) request_.expects_continue = ascii_iequals(value, "100-continue");
    seen.expect = true;
  } else if (name.size() >= 2 && ascii_lower(name[0]) == 'x' && name[1] == '-') {
    if (name_is(name, "x-api-key")) {
      keep_first(request_.api_key, seen.api_key, value);
      return;
    }
    if (name_is(name, "x-hearth-request-id")) {
      keep_first(request_.request_id, seen.request_id, value);
    }
    request_.policy_headers[ascii_lowered(name)].assign(value);
  }
}

void RequestParser::on_header(error_code&) {
  request_.keep_alive = keep_alive();  // the head is done: the Connection tokens are known
  // The parser has already held the length to the body limit.
  if (const auto length = content_length()) {
    request_.body.reserve(static_cast<std::size_t>(*length));
  }
}

std::size_t RequestParser::on_body(std::string_view piece, error_code&) {
  request_.body.append(piece);
  return piece.size();
}

}  // namespace hearth::gateway::detail
