#pragma once
// A client's request as the session reads it, and the parser that fills it in.
//
// hearth reads a handful of a request's fields, so this parser keeps only those, in a
// `ClientRequest` that the session reuses from request to request (its strings keep their
// capacity). HttpParser does the parsing: the grammar, Content-Length and Transfer-Encoding
// (and their conflicts), the Connection tokens, the header and body limits.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "hearth/core/http_parser.hpp"

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

class RequestParser final : public HttpParser {
 public:
  // Clears `request` and fills it in as the parse goes.
  explicit RequestParser(ClientRequest& request) : HttpParser(Kind::Request), request_(request) {
    request_.clear();
  }

 private:
  void on_request(std::string_view method, std::string_view target, int version,
                  error_code&) override;
  void on_field(std::string_view name, std::string_view value, error_code&) override;
  void on_header(error_code&) override;
  std::size_t on_body(std::string_view piece, error_code&) override;

  // Which of the kept fields came already: a repeated one keeps its first value.
  struct Seen {
    bool authorization = false, cache_control = false, expect = false, api_key = false,
         request_id = false;
  };

  ClientRequest& request_;
  Seen seen_;
};

}  // namespace hearth::gateway::detail
