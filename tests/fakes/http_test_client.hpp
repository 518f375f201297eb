#pragma once
// A blocking HTTP/1.1 client for tests: one request per call on a fresh connection, the whole
// response read (chunked or not) with a time limit so a broken server fails the test instead
// of hanging it.

#include <chrono>
#include <map>
#include <string>

namespace hearth::testing {

struct HttpReply {
  int status = 0;                              // 0: no response (connection failed or timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body = {},
                       const std::map<std::string, std::string>& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

inline HttpReply http_post_json(unsigned short port, const std::string& target,
                                const std::string& body,
                                std::map<std::string, std::string> headers = {}) {
  headers.emplace("content-type", "application/json");
  return http_request(port, "POST", target, body, headers);
}

}  // namespace hearth::testing
