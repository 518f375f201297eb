#pragma once
// PlainHttp: HTTP/1.1 over plain TCP for http:// upstreams (on-prem model servers, sidecars,
// the bench's mock), on Beast and Asio sockets, keep-alive connections pooled per host.
// libcurl keeps https:// (TLS, HTTP/2). This path has no per-transfer easy handle, timer and
// socket callbacks, which were the largest part of a proxied request's CPU.
// Single-threaded, like HttpClient: every call on the executor's thread.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/upstream/http_client.hpp"
#include "hearth/upstream/http_url.hpp"

namespace hearth::upstream {

class PlainHttp {
 public:
  PlainHttp(boost::asio::any_io_executor executor, const HttpClientOptions& options);
  ~PlainHttp();
  PlainHttp(const PlainHttp&) = delete;
  PlainHttp& operator=(const PlainHttp&) = delete;

  // HttpClient::send's contract, for a parsed http:// URL.
  Task<Status> send(std::shared_ptr<const HttpUrl> url, HttpRequest request,
                    HttpStreamHandler& handler);

  struct Connection;
  struct Host;
  struct Lease;
  struct Exchange;
  struct Deadlines;

 private:
  // An idle connection that is still fit for use, if the host has one: the usual case,
  // without a coroutine frame. acquire connects or waits for one.
  std::optional<Lease> take_idle(Host& host);
  Task<Result<Lease>> acquire(Host& host, const HttpUrl& url, const Deadlines& deadlines);
  Task<Result<Lease>> connect(Host& host, const HttpUrl& url, const Deadlines& deadlines);
  Task<Exchange> exchange(Connection& connection, const std::string& head, const std::string& body,
                          HttpStreamHandler& handler, const Deadlines& deadlines);
  void release(Host& host, std::unique_ptr<Connection> connection, bool reusable);
  // The part of a request's head that its URL, method and shared headers decide, made and
  // checked once for each such three: a sender's requests differ only in their own headers
  // and body. Valid until the next call.
  Result<std::string_view> standing_head_for(const std::shared_ptr<const HttpUrl>& url,
                                             const HttpRequest& request);

  boost::asio::any_io_executor executor_;
  const HttpClientOptions& options_;
  std::unordered_map<std::string, std::unique_ptr<Host>> hosts_;  // by host:port
  std::string host_key_;
  struct StandingHead {
    std::shared_ptr<const HttpUrl> url;  // held, so that no other takes its address
    std::shared_ptr<const HttpHeaders> headers;
    std::string method;
    std::string text;
  };
  static constexpr std::size_t kMaxStandingHeads = 64;
  std::vector<StandingHead> standing_heads_;
  std::size_t idle_total_ = 0;
};

}  // namespace hearth::upstream
