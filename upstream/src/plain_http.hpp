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
  // An idle connection that is still fit for use at `now`, if the host has one: the usual case,
  // without a coroutine frame. acquire connects or waits for one.
  std::optional<Lease> take_idle(Host& host, TimePoint now);
  Task<Result<Lease>> acquire(Host& host, const HttpUrl& url, const Deadlines& deadlines);
  Task<Result<Lease>> connect(Host& host, const HttpUrl& url, const Deadlines& deadlines);
  Task<Exchange> exchange(Connection& connection, const std::string& head, const std::string& body,
                          HttpStreamHandler& handler, const Deadlines& deadlines);
  void release(Host& host, std::unique_ptr<Connection> connection, bool reusable);
  // What a request's URL, method and shared headers decide, worked out once for each such
  // three: a sender's requests differ only in their own headers and body.
  struct Sender {
    std::shared_ptr<const HttpUrl> url;  // held, so that no other takes its address
    std::shared_ptr<const HttpHeaders> headers;
    std::string method;
    std::string standing_head;  // the request line, Host and the shared headers, checked
    Host* host;                 // its URL's, in hosts_ (which never lets one go)
  };
  // The entry for `request` to `url`, made on its first request; valid until the next call.
  Result<const Sender*> sender_for(const std::shared_ptr<const HttpUrl>& url,
                                   const HttpRequest& request);

  boost::asio::any_io_executor executor_;
  const HttpClientOptions& options_;
  std::unordered_map<std::string, std::unique_ptr<Host>> hosts_;  // by host:port
  static constexpr std::size_t kMaxSenders = 64;
  std::vector<Sender> senders_;
  std::size_t idle_total_ = 0;
};

}  // namespace hearth::upstream
