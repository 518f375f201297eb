#pragma once
// An upstream response's parser that keeps its head the way the client hands it on (status,
// lower-case names in order) and copies its body into a piece the caller gives.

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <boost/beast/http/error.hpp>

#include "hearth/core/http_parser.hpp"
#include "hearth/upstream/http_client.hpp"

namespace hearth::upstream {

class ResponseParser final : public HttpParser {
 public:
  ResponseParser() : HttpParser(Kind::Response) {}

  HttpResponseHead& head() { return head_; }

  // Body bytes parsed from here on go into `piece`, up to its size; a full piece stops the
  // parse with need_buffer.
  void fill(std::span<char> piece) {
    piece_ = piece;
    filled_ = 0;
  }
  std::string_view filled() const { return {piece_.data(), filled_}; }

 private:
  void on_response(int code, std::string_view, int, error_code&) override {
    head_.status = code;  // each response, interim ones included, gets a parser of its own
  }
  void on_field(std::string_view name, std::string_view value, error_code&) override {
    head_.add(name, value);
  }
  std::size_t on_body(std::string_view body, error_code& ec) override {
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
