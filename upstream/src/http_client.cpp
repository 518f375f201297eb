#include "hearth/upstream/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "curl_multi_driver.hpp"
#include "hearth/core/ascii.hpp"
#include "hearth/upstream/http_url.hpp"
#include "hearth/upstream/upstream_errors.hpp"
#include "plain_http.hpp"

namespace hearth::upstream {

void HttpResponseHead::add(std::string_view name, std::string_view value) {
  if (fields_.empty()) fields_.reserve(256);  // one allocation for a usual head
  const std::size_t at = fields_.size();
  fields_.resize(at + name.size() + value.size() + 2);
  char* out = fields_.data() + at;
  for (const char c : name) *out++ = ascii_lower(c);
  *out++ = ':';
  value.copy(out, value.size());
  out[value.size()] = '\n';
}

std::optional<std::string_view> HttpResponseHead::header(std::string_view name) const {
  const std::string_view fields = fields_;
  for (std::size_t at = 0; at < fields.size();) {
    const std::size_t end = fields.find('\n', at);
    const std::string_view field = fields.substr(at, end - at);
    if (field.size() > name.size() && field[name.size()] == ':' && field.starts_with(name)) {
      return field.substr(name.size() + 1);
    }
    at = end + 1;
  }
  return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

size_t on_header_line(char* data, size_t size, size_t count, void* userp) {
  auto* transfer = static_cast<CurlTransfer*>(userp);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response head (after a 1xx, or the first one).
    transfer->head.clear_fields();
    return n;
  }
  line = trim(line);
  if (line.empty()) {
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) {
      transfer->head.status = static_cast<int>(status);
      transfer->head_ready = true;
      transfer->last_data = Clock::now();
      transfer->wake();
    }
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  transfer->head.add(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  return n;
}

size_t on_body_bytes(char* data, size_t size, size_t count, void* userp) {
  auto* transfer = static_cast<CurlTransfer*>(userp);
  const size_t n = size * count;
  if (transfer->body.size() >= transfer->max_buffered) {
    // The consumer is behind: curl keeps these bytes and offers them again on unpause.
    transfer->paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  transfer->body.append(data, n);
  transfer->last_data = Clock::now();
  transfer->wake();
  return n;
}

Status configure(CurlTransfer& transfer, HttpRequest& request, const HttpClientOptions& options) {
  transfer.easy = curl_easy_init();
  if (transfer.easy == nullptr) return make_error(ErrorCode::Internal, "curl_easy_init failed");
  CURL* easy = transfer.easy;
  transfer.request_body = std::move(request.body);
  transfer.max_buffered = options.max_buffered_bytes;

  const bool listed = request.for_each_header([&](const std::string& name, const std::string& value) {
    const std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(transfer.header_list, line.c_str());
    if (next != nullptr) transfer.header_list = next;
    return next != nullptr;
  });
  if (!listed) return make_error(ErrorCode::Internal, "curl_slist_append failed");
  // No "Expect: 100-continue" round trip for large bodies.
  transfer.header_list = curl_slist_append(transfer.header_list, "Expect:");

  CURLcode code = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (code == CURLE_OK) code = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method != "GET") {
    set(CURLOPT_POSTFIELDS, transfer.request_body.data());
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer.request_body.size()));
  }
  set(CURLOPT_HTTPHEADER, transfer.header_list);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  set(CURLOPT_PIPEWAIT, 1L);  // wait for a multiplexed connection rather than open another
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) set(CURLOPT_CAINFO, options.ca_file.c_str());
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeouts.connect.count()));
  set(CURLOPT_HEADERFUNCTION, &on_header_line);
  set(CURLOPT_HEADERDATA, &transfer);
  set(CURLOPT_WRITEFUNCTION, &on_body_bytes);
  set(CURLOPT_WRITEDATA, &transfer);
  set(CURLOPT_PRIVATE, &transfer);
  set(CURLOPT_ERRORBUFFER, transfer.error_buffer);
  if (code != CURLE_OK) {
    return make_error(ErrorCode::Internal,
                      std::string("cannot set up upstream transfer: ") + curl_easy_strerror(code));
  }
  return {};
}

Error transport_error(const CurlTransfer& transfer) {
  std::string detail = transfer.error_buffer[0] != '\0' ? std::string(transfer.error_buffer)
                                                        : curl_easy_strerror(transfer.result);
  if (transfer.result == CURLE_OPERATION_TIMEDOUT) {
    return make_error(ErrorCode::UpstreamTimeout, "upstream timed out: " + detail);
  }
  const char* what = transfer.head_ready ? "upstream connection failed mid-response: "
                                         : "upstream connection failed: ";
  return make_error(ErrorCode::UpstreamError, what + detail);
}

// The body of send(): the caller has switched off throw-on-cancel, so a cancelled wait
// comes back as operation_aborted and we can clean up.
Task<Status> run_transfer(HttpClient::Driver& driver, CurlTransfer& transfer,
                          const UpstreamTimeouts& timeouts, HttpStreamHandler& handler) {
  auto cancellation = co_await boost::asio::this_coro::cancellation_state;
  const auto start = Clock::now();
  const auto total_deadline = start + timeouts.total;
  bool head_delivered = false;
  std::optional<Clock::time_point> finished_at;

  auto abort_with = [&](Error error) -> Status {
    driver.remove(transfer);
    return error;
  };

  for (;;) {
    if (cancellation.cancelled() != boost::asio::cancellation_type::none) {
      co_return abort_with(make_error(ErrorCode::Cancelled, "upstream transfer cancelled"));
    }
    // Hand over what arrived: the head, then body bytes, then the outcome.
    if (transfer.head_ready && !head_delivered) {
      head_delivered = true;
      Status status = handler.on_head(transfer.head);
      if (!status) co_return abort_with(std::move(status).error());
      continue;
    }
    if (head_delivered && !transfer.body.empty()) {
      std::string bytes;
      bytes.swap(transfer.body);
      if (transfer.paused && transfer.in_multi) {
        transfer.paused = false;
        curl_easy_pause(transfer.easy, CURLPAUSE_CONT);  // may refill transfer.body at once
      }
      std::optional<Status> status = handler.on_body_now(bytes);
      if (!status) status = co_await handler.on_body(bytes);
      if (!*status) co_return abort_with(std::move(*status).error());
      // Time spent waiting on a slow consumer is not upstream silence.
      transfer.last_data = std::max(transfer.last_data, Clock::now());
      if (!finished_at && handler.finished()) finished_at = Clock::now();
      continue;
    }
    if (transfer.done) {
      if (transfer.result != CURLE_OK && !finished_at) co_return transport_error(transfer);
      if (!head_delivered) co_return make_error(ErrorCode::UpstreamError, "upstream sent no response");
      co_return Status{};
    }

    // Wait for curl, or for the nearest deadline.
    auto deadline = total_deadline;
    const char* which = "total";
    Duration limit = timeouts.total;
    if (!transfer.head_ready) {
      if (start + timeouts.first_byte < deadline) {
        deadline = start + timeouts.first_byte;
        which = "first byte";
        limit = timeouts.first_byte;
      }
    } else if (transfer.last_data + timeouts.between_chunks < deadline) {
      deadline = transfer.last_data + timeouts.between_chunks;
      which = "between chunks";
      limit = timeouts.between_chunks;
    }
    if (finished_at) {
      if (Clock::now() >= *finished_at + kFinishedGrace) {
        driver.remove(transfer);  // the body did not end: drop the connection, keep the result
        co_return Status{};
      }
      deadline = std::min(deadline, *finished_at + kFinishedGrace);
    }
    if (Clock::now() >= deadline) {
      co_return abort_with(timeout_error(which, limit));
    }
    transfer.wake_timer.expires_at(deadline);
    co_await transfer.wake_timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

}  // namespace

HttpClient::HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options)
    : driver_(std::make_unique<Driver>(std::move(executor), std::move(options))),
      plain_(std::make_unique<PlainHttp>(driver_->executor(), driver_->options())) {}

HttpClient::~HttpClient() = default;

boost::asio::any_io_executor HttpClient::get_executor() const { return driver_->executor(); }

std::shared_ptr<const HttpUrl> HttpClient::parsed(const std::string& url) {
  if (auto known = parsed_urls_.find(url); known != parsed_urls_.end()) return known->second;
  std::optional<HttpUrl> parsed = parse_http_url(url);
  if (!parsed) return nullptr;
  // A bound, in case URLs ever come from requests rather than config.
  if (parsed_urls_.size() >= 256) parsed_urls_.clear();
  auto shared = std::make_shared<const HttpUrl>(std::move(*parsed));
  parsed_urls_.emplace(url, shared);
  return shared;
}

// Not a coroutine: it returns the transport's, a frame fewer per request. The transports take
// what they need by value, and each switches off throw-on-cancel for itself.
Task<Status> HttpClient::send(HttpRequest request, HttpStreamHandler& handler) {
  std::shared_ptr<const HttpUrl> url = parsed(request.url);
  if (url == nullptr) {
    return failed(make_error(ErrorCode::UpstreamError, "upstream URL is not a valid http(s) URL"));
  }
  if (url->tls || driver_->options().plain_http_via_curl) {
    return send_via_curl(std::move(request), handler);
  }
  return plain_->send(std::move(url), std::move(request), handler);
}

Task<Status> HttpClient::failed(Error error) { co_return error; }

Task<Status> HttpClient::send_via_curl(HttpRequest request, HttpStreamHandler& handler) {
  // Cancellation must reach us as a result, not as an exception thrown at the next
  // co_await; the setting belongs to the whole coroutine stack, so restore it on the way out.
  const bool throw_if_cancelled = co_await boost::asio::this_coro::throw_if_cancelled();
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  std::exception_ptr failure;
  Status result;
  CurlTransfer transfer(driver_->executor());
  if (result = configure(transfer, request, driver_->options()); result.ok()) {
    if (result = driver_->add(transfer); result.ok()) {
      try {
        result = co_await run_transfer(*driver_, transfer, request.timeouts, handler);
      } catch (...) {
        failure = std::current_exception();
      }
      driver_->remove(transfer);
    }
  }
  co_await boost::asio::this_coro::throw_if_cancelled(throw_if_cancelled);
  if (failure) std::rethrow_exception(failure);
  co_return result;
}

}  // namespace hearth::upstream
