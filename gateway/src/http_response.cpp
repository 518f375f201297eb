#include "http_response.hpp"

#include <charconv>
#include <ostream>  // beast/http/status.hpp needs it

#include <boost/beast/http/status.hpp>

namespace hearth::gateway::detail {
namespace {

void append_number(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

std::string_view reason(unsigned status) {
  auto text = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return text.empty() ? std::string_view("Unknown") : std::string_view(text.data(), text.size());
}

}  // namespace

void append_head(std::string& out, const ResponseHead& head, BodyFraming framing,
                 uint64_t content_length) {
  out += "HTTP/1.1 ";
  append_number(out, head.status);
  out += ' ';
  out += reason(head.status);
  out += "\r\n";
  append_header(out, "content-type", head.content_type);
  switch (framing) {
    case BodyFraming::ContentLength:
      out += "content-length: ";
      append_number(out, content_length);
      out += "\r\n";
      break;
    case BodyFraming::Chunked:
      append_header(out, "transfer-encoding", "chunked");
      break;
    case BodyFraming::UntilClose:
      break;
  }
  if (framing != BodyFraming::ContentLength) {
    append_header(out, "cache-control", "no-cache");
    append_header(out, "x-accel-buffering", "no");
  }
  append_header(out, "x-hearth-request-id", head.request_id);
  if (!head.route.empty()) append_header(out, "x-hearth-route", head.route);
  if (!head.cache.empty()) append_header(out, "x-hearth-cache", head.cache);
  if (!head.rule.empty()) append_header(out, "x-hearth-rule", head.rule);
  if (head.retry_after_s) {
    out += "retry-after: ";
    append_number(out, *head.retry_after_s);
    out += "\r\n";
  }
  if (!head.allow.empty()) append_header(out, "allow", head.allow);
  const bool keep_alive = head.keep_alive && framing != BodyFraming::UntilClose;
  if (!keep_alive) {
    append_header(out, "connection", "close");
  } else if (head.http10) {
    append_header(out, "connection", "keep-alive");
  }
  out += "\r\n";
}

}  // namespace hearth::gateway::detail
