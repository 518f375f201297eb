#pragma once
// A client's request as the session reads it, and the parser that fills it in.
//
// Beast's request_parser<string_body> kept every header field in its container (an
// allocation per field) and each lookup walked that container again. hearth reads a handful
// of fields, so this parser keeps only those, in a `ClientRequest` that the session reuses
// from request to request (its strings keep their capacity). Beast's basic_parser still does
// the parsing: the grammar, Content-Length and Transfer-Encoding (and their conflicts), the
// Connection tokens, the header and body limits.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>

namespace hearth::gateway::detail {

struct ClientRequest {
  std::string method;
  std::string target;
  int version = 11;               // 10 or 11
  bool keep_alive = false;        // set once the head is parsed
  bool expects_continue = false;  // Expect: 100-continue
  // The first of each, as a field container's lookup gave; empty when absent.
  std::string authorization;
  std::string api_key;     // x-api-key
  std::string request_id;  // x-hearth-request-id
  std::string cache_control;
  // The x-* headers a policy may match (x-data-class, x-team, …), names lower-cased; a
  // repeated name keeps its last value. Never x-api-key: no credential reaches a rule.
  std::map<std::string, std::string> policy_headers;
  std::string body;

  void clear();
};

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  // Clears `request` and fills it in as the parse goes.
  explicit RequestParser(ClientRequest& request) : request_(request) { request_.clear(); }

 private:
  void on_request_impl(boost::beast::http::verb, string_view method, string_view target,
                       int version, error_code&) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code&) override;
  void on_header_impl(error_code&) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override;
  std::size_t on_body_impl(string_view body, error_code&) override;
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override;
  void on_finish_impl(error_code&) override {}

  // Which of the kept fields came already: a repeated one keeps its first value.
  struct Seen {
    bool authorization = false, cache_control = false, expect = false, api_key = false,
         request_id = false;
  };

  ClientRequest& request_;
  Seen seen_;
};

}  // namespace hearth::gateway::detail
