#include "fakes/http_test_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hearth::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpReply http_request(unsigned short port, const std::string& method, const std::string& target,
                       const std::string& body, const std::map<std::string, std::string>& headers,
                       std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  HttpReply reply;
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();

  // Connect, write, read — all under one deadline.
  stream.expires_after(timeout);
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code ec) {
                         if (ec) return;
                         http::async_write(stream, request, [&](beast::error_code wec, size_t) {
                           if (wec) return;
                           auto buffer = std::make_shared<beast::flat_buffer>();
                           auto parser = std::make_shared<http::response_parser<http::string_body>>();
                           parser->body_limit(64u << 20);
                           http::async_read(stream, *buffer, *parser,
                                            [&, buffer, parser](beast::error_code rec, size_t) {
                                              if (rec && !parser->is_header_done()) return;
                                              auto& res = parser->get();
                                              reply.status = static_cast<int>(res.result_int());
                                              for (const auto& field : res) {
                                                std::string name(field.name_string());
                                                std::transform(name.begin(), name.end(), name.begin(),
                                                               [](unsigned char c) { return std::tolower(c); });
                                                reply.headers[name] = std::string(field.value());
                                              }
                                              reply.body = res.body();
                                            });
                         });
                       });
  io.run();
  return reply;
}

}  // namespace hearth::testing
