#include "request_parser.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "hearth/core/ascii.hpp"

namespace hearth::gateway::detail {
namespace {

namespace http = boost::beast::http;

void assign(std::string& to, boost::beast::string_view from) {
  to.assign(from.data(), from.size());
}

// Keeps the first of a repeated field, as a field container's lookup returns it.
void keep_first(std::string& to, bool& seen, boost::beast::string_view from) {
  if (seen) return;
  seen = true;
  assign(to, from);
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

void RequestParser::on_request_impl(http::verb, string_view method, string_view target, int version,
                                    error_code&) {
  assign(request_.method, method);
  assign(request_.target, target);
  request_.version = version;
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
  ec = http::error::bad_version;  // a request parser never sees a status line
}

void RequestParser::on_field_impl(http::field name, string_view name_string, string_view value,
                                  error_code&) {
  auto& seen = seen_;
  switch (name) {
    case http::field::authorization:
      keep_first(request_.authorization, seen.authorization, value);
      return;
    case http::field::cache_control:
      keep_first(request_.cache_control, seen.cache_control, value);
      return;
    case http::field::expect:
      if (!seen.expect) request_.expects_continue = boost::beast::iequals(value, "100-continue");
      seen.expect = true;
      return;
    default:
      break;
  }
  if (name_string.size() < 2 || ascii_lower(name_string[0]) != 'x' || name_string[1] != '-') return;
  if (boost::beast::iequals(name_string, "x-api-key")) {
    keep_first(request_.api_key, seen.api_key, value);
    return;
  }
  if (boost::beast::iequals(name_string, "x-hearth-request-id")) {
    keep_first(request_.request_id, seen.request_id, value);
  }
  assign(request_.policy_headers[ascii_lowered(name_string)], value);
}

void RequestParser::on_header_impl(error_code&) {
  request_.keep_alive = keep_alive();  // the head is done: the Connection tokens are known
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code&) {
  // The basic parser has already held the length to the body limit.
  if (content_length) request_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t RequestParser::on_body_impl(string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  request_.body.append(body.data(), body.size());
  return body.size();
}

}  // namespace hearth::gateway::detail
