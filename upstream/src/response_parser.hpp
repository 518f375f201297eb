#pragma once
// An upstream response's parser that keeps its head the way the client hands it on (status,
// lower-case names in order) and copies its body into a piece the caller gives. Beast's own
// response_parser first builds its field container, one allocation per header field, that
// the client then copied out of and threw away.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "hearth/core/ascii.hpp"
#include "hearth/upstream/http_client.hpp"

namespace hearth::upstream {

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  HttpResponseHead& head() { return head_; }

  // Body bytes parsed from here on go into `piece`, up to its size; a full piece stops the
  // parse with need_buffer, as Beast's buffer_body does.
  void fill(std::span<char> piece) {
    piece_ = piece;
    filled_ = 0;
  }
  std::string_view filled() const { return {piece_.data(), filled_}; }

 private:
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code& ec) override {
    ec = boost::beast::http::error::bad_method;  // a response parser never sees a request line
  }
  void on_response_impl(int code, string_view, int, error_code&) override {
    head_.status = code;  // each response, interim ones included, gets a parser of its own
    head_.headers.reserve(16);
  }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override {
    head_.headers.emplace_back(ascii_lowered(name), std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code& ec) override { return take(body, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return take(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t take(string_view body, error_code& ec) {
    const std::size_t n = std::min(body.size(), piece_.size() - filled_);
    if (n == 0) {
      ec = boost::beast::http::error::need_buffer;
      return 0;
    }
    body.copy(piece_.data() + filled_, n);
    filled_ += n;
    return n;
  }

  HttpResponseHead head_;
  std::span<char> piece_;
  std::size_t filled_ = 0;
};

}  // namespace hearth::upstream
