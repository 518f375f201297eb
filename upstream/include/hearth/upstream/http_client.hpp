#pragma once
// HttpClient: HTTP(S) requests for upstreams. https:// runs on libcurl's multi interface
// driven by Asio (TLS verified, HTTP/2 multiplexed where the server offers it); http:// on
// Beast's HTTP/1.1 over Asio sockets, which costs far less CPU per request. Both keep
// connections alive. One per io_context; every call (and the destructor) on that
// io_context's thread.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/core/completion_source.hpp"
#include "hearth/core/result.hpp"
#include "hearth/upstream/http_url.hpp"
#include "hearth/upstream/upstream_timeouts.hpp"

namespace hearth::upstream {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  // Sent as given, never logged or put into an error message: first the sender's standing
  // headers (its content type, credentials), which all its requests share rather than copy,
  // then this request's own.
  std::shared_ptr<const HttpHeaders> shared_headers;
  HttpHeaders headers;
  std::string body;
  UpstreamTimeouts timeouts;

  template <class Each>  // Each(const std::string& name, const std::string& value) -> bool
  bool for_each_header(Each each) const {
    if (shared_headers != nullptr) {
      for (const auto& [name, value] : *shared_headers) {
        if (!each(name, value)) return false;
      }
    }
    for (const auto& [name, value] : headers) {
      if (!each(name, value)) return false;
    }
    return true;
  }
};

// The final (non-1xx) response head. Header names are lower-cased, values trimmed.
class HttpResponseHead {
 public:
  int status = 0;

  // Keeps a field; `name` is lower-cased, `value` must hold no line break.
  void add(std::string_view name, std::string_view value);
  void clear_fields() { fields_.clear(); }

  // The first field with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view name) const;

 private:
  // Every field as "name:value\n", in order: one buffer, not two strings per field (most
  // responses are read for one or two of their fields).
  std::string fields_;
};

// Receives one response as it arrives. Both calls run on the client's executor; on_body may
// suspend (to write to a slow client, say): the client buffers meanwhile, pausing the
// transfer beyond HttpClientOptions::max_buffered_bytes. An error from either call aborts
// the transfer at once and becomes the result of send().
class HttpStreamHandler {
 public:
  virtual ~HttpStreamHandler() = default;

  // Called once, before any body bytes. The head is the handler's to keep. (Not a coroutine:
  // no handler needs to wait here, and each call would cost a frame.)
  virtual Status on_head(HttpResponseHead head) = 0;

  // Called with body bytes in order; `bytes` is valid only during the call.
  virtual Task<Status> on_body(std::string_view bytes) = 0;

  // Offered body bytes first, before on_body: a handler that deals with them without waiting
  // (collects them, say) returns its status, and on_body is not called for them; nullopt
  // passes them to on_body, which may go on from what on_body_now did with them: the bytes
  // stay valid until that on_body returns. (Most bodies then cost no coroutine frame.)
  virtual std::optional<Status> on_body_now(std::string_view /*bytes*/) { return std::nullopt; }

  // True once the handler has all it wants (an end-of-stream marker seen): the client then
  // waits only briefly (kFinishedGrace) for the body to end, to keep the connection reusable,
  // and returns ok, whatever happens to the transfer afterwards.
  virtual bool finished() const { return false; }
};

// How long a transfer whose handler has finished waits for the rest of the body.
inline constexpr Duration kFinishedGrace{200};

struct HttpClientOptions {
  long max_host_connections = 64;   // per host; more transfers queue (HTTP/2 multiplexes)
  long max_cached_connections = 256;
  std::string ca_file;              // extra CA bundle (private on-prem CA); empty: system
  std::size_t max_buffered_bytes = std::size_t{1} << 20;
  bool plain_http_via_curl = false;  // tests: drive http:// through libcurl as well
};

class PlainHttp;

// Destroy it before its io_context, and only once no send() is in flight (or the io_context
// has stopped for good).
class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs `request`, feeding the response to `handler`. Ok once the whole body has been
  // handed over, whatever the status. Errors: UpstreamError (connect, DNS, TLS, reset),
  // UpstreamTimeout (any of request.timeouts), Cancelled (the awaiting coroutine's
  // cancellation slot fired: the transfer is removed at once), or the handler's own error.
  Task<Status> send(HttpRequest request, HttpStreamHandler& handler);

  boost::asio::any_io_executor get_executor() const;

  class Driver;  // the curl multi handle and its Asio bridge (src/curl_multi_driver.hpp)

 private:
  Task<Status> send_via_curl(HttpRequest request, HttpStreamHandler& handler);
  static Task<Status> failed(Error error);
  std::shared_ptr<const HttpUrl> parsed(const std::string& url);

  std::unique_ptr<Driver> driver_;
  std::unique_ptr<PlainHttp> plain_;  // src/plain_http.hpp; uses driver_'s options
  // The URLs sent to, parsed: config fixes them, so parsing each once saves it per request.
  // Shared: a transfer keeps its URL should the map be cleared meanwhile.
  std::unordered_map<std::string, std::shared_ptr<const HttpUrl>> parsed_urls_;
};

}  // namespace hearth::upstream
