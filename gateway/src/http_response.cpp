#include "http_response.hpp"

#include <charconv>
#include <cstring>
#include <ostream>  // beast/http/status.hpp needs it

#include <boost/beast/http/status.hpp>

namespace hearth::gateway::detail {
namespace {

std::string_view reason(unsigned status) {
  auto text = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  return text.empty() ? std::string_view("Unknown") : std::string_view(text.data(), text.size());
}

// Writes a head's pieces through a pointer into room made for all of them at once. A head is
// two dozen short pieces, and string::append per piece (a capacity check and a call each)
// cost about 1,000 instructions a head.
class HeadWriter {
 public:
  HeadWriter(std::string& out, std::size_t most) : out_(out), start_(out.size()) {
    out_.resize(start_ + most);
    at_ = out_.data() + start_;
  }
  HeadWriter(const HeadWriter&) = delete;
  HeadWriter& operator=(const HeadWriter&) = delete;
  ~HeadWriter() { out_.resize(static_cast<std::size_t>(at_ - out_.data())); }

  HeadWriter& put(std::string_view piece) {
    std::memcpy(at_, piece.data(), piece.size());
    at_ += piece.size();
    return *this;
  }
  HeadWriter& number(uint64_t value) {
    at_ = std::to_chars(at_, at_ + kMaxDigits, value).ptr;
    return *this;
  }
  HeadWriter& header(std::string_view name, std::string_view value) {
    return put(name).put(": ").put(value).put("\r\n");
  }

  static constexpr std::size_t kMaxDigits = 20;  // of a uint64_t

 private:
  std::string& out_;
  std::size_t start_;
  char* at_ = nullptr;
};

// Room for every fixed piece append_head may write (names, separators, constant values,
// numbers at their longest), to which the variable values' sizes are added.
constexpr std::size_t kFixedRoom = 512;

}  // namespace

void append_head(std::string& out, const ResponseHead& head, BodyFraming framing,
                 uint64_t content_length) {
  const std::string_view why = reason(head.status);
  HeadWriter w(out, kFixedRoom + why.size() + head.content_type.size() + head.request_id.size() +
                        head.route.size() + head.cache.size() + head.rule.size() +
                        head.allow.size());
  w.put("HTTP/1.1 ").number(head.status).put(" ").put(why).put("\r\n");
  w.header("content-type", head.content_type);
  switch (framing) {
    case BodyFraming::ContentLength:
      w.put("content-length: ").number(content_length).put("\r\n");
      break;
    case BodyFraming::Chunked:
      w.header("transfer-encoding", "chunked");
      break;
    case BodyFraming::UntilClose:
      break;
  }
  if (framing != BodyFraming::ContentLength) {
    w.header("cache-control", "no-cache");
    w.header("x-accel-buffering", "no");
  }
  w.header("x-hearth-request-id", head.request_id);
  if (!head.route.empty()) w.header("x-hearth-route", head.route);
  if (!head.cache.empty()) w.header("x-hearth-cache", head.cache);
  if (!head.rule.empty()) w.header("x-hearth-rule", head.rule);
  if (head.retry_after_s) w.put("retry-after: ").number(*head.retry_after_s).put("\r\n");
  if (!head.allow.empty()) w.header("allow", head.allow);
  const bool keep_alive = head.keep_alive && framing != BodyFraming::UntilClose;
  if (!keep_alive) {
    w.header("connection", "close");
  } else if (head.http10) {
    w.header("connection", "keep-alive");
  }
  w.put("\r\n");
}

}  // namespace hearth::gateway::detail
