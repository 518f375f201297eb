#include "plain_http.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <deque>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "hearth/core/ascii.hpp"
#include "hearth/core/find_either.hpp"
#include "hearth/core/http_io.hpp"
#include "hearth/core/watchdog.hpp"
#include "hearth/upstream/upstream_errors.hpp"
#include "response_parser.hpp"

namespace hearth::upstream {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::string_view_literals;

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Idle connections older than this are closed rather than reused: servers drop idle
// keep-alive connections after a while (nginx after 75 s, many after 60 s).
constexpr auto kIdleMaxAge = std::chrono::seconds(50);
// A connection idle for less than this is reused without first asking the kernel whether
// the server closed it (a syscall per request); should it have, the request is retried once
// on a new connection.
constexpr auto kCheckIdleAfter = std::chrono::seconds(1);
constexpr std::size_t kBodyPiece = 32 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

// Headers this client writes itself.
bool owned_header(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kOwned = {"host", "content-length", "connection",
                                                             "transfer-encoding", "expect"};
  return std::any_of(kOwned.begin(), kOwned.end(),
                     [&](std::string_view owned) { return ascii_iequals(name, owned); });
}

bool has_line_break(std::string_view text) {
  return find_either(text, '\r', '\n') != std::string_view::npos;
}

// Appends a line for each of `headers` but those this client writes itself; stops at the first
// whose name or value holds a line break, or whose name a colon, and returns its name.
const std::string* append_headers(std::string& head, const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (owned_header(name)) continue;
    if (has_line_break(name) || has_line_break(value) || name.find(':') != std::string::npos) {
      return &name;
    }
    head.append(name).append(": "sv).append(value).append("\r\n"sv);
  }
  return nullptr;
}

Error malformed_header(const std::string& name) {
  // Values are credentials and config: never echo them into the error.
  return make_error(ErrorCode::Internal, "upstream request header '" +
                                             (has_line_break(name) ? std::string("?") : name) +
                                             "' contains a line break or colon");
}

// What only the URL, the method and the sender's shared headers decide of a request's head:
// the request line, Host and those headers.
Result<std::string> standing_head(const HttpUrl& url, const std::string& method,
                                  const HttpHeaders* shared) {
  if (has_line_break(method) || method.find(' ') != std::string::npos) {
    return make_error(ErrorCode::Internal, "upstream request method is malformed");
  }
  std::string head;
  head.append(method).append(" "sv).append(url.target).append(" HTTP/1.1\r\nHost: "sv);
  url.append_authority(head);
  head.append("\r\n"sv);
  if (shared != nullptr) {
    if (const std::string* bad = append_headers(head, *shared)) return malformed_header(*bad);
  }
  return head;
}

// The whole head: the standing part, the request's own headers and its Content-Length.
Result<std::string> request_head(std::string_view standing, const HttpRequest& request) {
  std::string head;
  head.reserve(standing.size() + 64 + request.headers.size() * 64);
  head.append(standing);
  if (const std::string* bad = append_headers(head, request.headers)) return malformed_header(*bad);
  if (request.method != "GET" || !request.body.empty()) {
    head.append("Content-Length: "sv).append(std::to_string(request.body.size())).append("\r\n"sv);
  }
  head.append("\r\n"sv);
  return head;
}

// A keep-alive connection the server has closed (or written to unasked) while it sat idle.
bool still_open(tcp::socket& socket) {
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// One of the transfer's limits: when it falls, and what to call it in the error.
struct Limit {
  TimePoint at;
  const char* which;
  Duration length;
};

Limit earliest(Limit a, Limit b) { return b.at < a.at ? b : a; }

Error timed_out(const Limit& limit) { return timeout_error(limit.which, limit.length); }

bool cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

Error cancelled_error() { return make_error(ErrorCode::Cancelled, "upstream transfer cancelled"); }

}  // namespace

struct PlainHttp::Connection {
  // A read takes as much as the buffer's free capacity (at least 512 bytes), as Beast's do.
  explicit Connection(const asio::any_io_executor& executor)
      : socket(executor), watchdog(executor, kWatchdogRecheck) {
    buffer.reserve(kBodyPiece);
  }
  tcp::socket socket;
  Watchdog watchdog;  // the limits of the transfer under way; after the socket, which it cancels
  boost::beast::flat_buffer buffer;  // bytes read past what the parser has taken
  std::array<char, kBodyPiece> piece{};
  TimePoint idle_since{};
};

struct PlainHttp::Host {
  std::vector<std::unique_ptr<Connection>> idle;  // most recently used last
  long open = 0;                                  // idle and in use
  std::deque<asio::steady_timer*> waiters;        // transfers waiting for a connection slot

  void wake_one() {
    if (waiters.empty()) return;
    asio::steady_timer* waiter = waiters.front();
    waiters.pop_front();
    waiter->cancel();
  }
};

struct PlainHttp::Lease {
  std::unique_ptr<Connection> connection;
  bool reused = false;
};

// How one request/response on a connection ended.
struct PlainHttp::Exchange {
  Status status;
  bool reusable = false;  // the response ended cleanly and the server keeps the connection
  bool stale = false;     // failed before any response byte: a reused connection the server closed
};

struct PlainHttp::Deadlines {
  Deadlines(TimePoint start, const UpstreamTimeouts& t)
      : total{start + t.total, "total", t.total},
        connect(earliest(earliest({start + t.connect, "connect", t.connect}, total),
                         {start + t.first_byte, "first byte", t.first_byte})),
        first_byte(earliest({start + t.first_byte, "first byte", t.first_byte}, total)),
        between_chunks(t.between_chunks) {}

  Limit total, connect, first_byte;
  Duration between_chunks;

  Limit next_chunk(TimePoint last_data) const {
    return earliest(total, {last_data + between_chunks, "between chunks", between_chunks});
  }
};

PlainHttp::PlainHttp(asio::any_io_executor executor, const HttpClientOptions& options)
    : executor_(std::move(executor)), options_(options) {}

PlainHttp::~PlainHttp() = default;

Result<const PlainHttp::Sender*> PlainHttp::sender_for(const std::shared_ptr<const HttpUrl>& url,
                                                      const HttpRequest& request) {
  for (const Sender& known : senders_) {
    if (known.url == url && known.headers == request.shared_headers && known.method == request.method) {
      return &known;
    }
  }
  Result<std::string> head = standing_head(*url, request.method, request.shared_headers.get());
  if (!head) return std::move(head).error();
  std::unique_ptr<Host>& host = hosts_[url->host + " " + url->port];
  if (!host) host = std::make_unique<Host>();
  // Senders are few and their URLs and headers long-lived; a bound keeps ones replaced by a
  // configuration reload from piling up.
  if (senders_.size() == kMaxSenders) senders_.clear();
  senders_.push_back({url, request.shared_headers, request.method, std::move(*head), host.get()});
  return &senders_.back();
}

Task<Status> PlainHttp::send(std::shared_ptr<const HttpUrl> url, HttpRequest request,
                             HttpStreamHandler& handler) {
  const TimePoint start = SteadyClock::now();
  const Deadlines deadlines(start, request.timeouts);
  // The sender's entry lasts only until the next sender_for: what is needed is taken now.
  Result<const Sender*> sender = sender_for(url, request);
  if (!sender) co_return std::move(sender).error();
  Result<std::string> head = request_head((*sender)->standing_head, request);
  if (!head) co_return std::move(head).error();
  Host& host = *(*sender)->host;

  // Cancellation must reach us as a result, not as an exception thrown at the next co_await;
  // the setting belongs to the whole coroutine stack, so it is restored on the way out.
  const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Status result;
  std::exception_ptr failure;
  try {
    for (bool retried = false;; retried = true) {
      std::optional<Lease> lease = take_idle(host, retried ? SteadyClock::now() : start);
      if (!lease) {
        Result<Lease> got = co_await acquire(host, *url, deadlines);
        if (!got) {
          result = std::move(got).error();
          break;
        }
        lease = std::move(*got);
      }
      Exchange done = co_await exchange(*lease->connection, *head, request.body, handler, deadlines);
      const bool retry = done.stale && lease->reused && !retried;
      release(host, std::move(lease->connection), done.reusable);
      // The server closed an idle connection as we reused it: once more, on a new one.
      if (!retry) {
        result = std::move(done.status);
        break;
      }
    }
  } catch (...) {
    failure = std::current_exception();
  }
  co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
  if (failure) std::rethrow_exception(failure);
  co_return result;
}

std::optional<PlainHttp::Lease> PlainHttp::take_idle(Host& host, TimePoint now) {
  while (!host.idle.empty()) {
    std::unique_ptr<Connection> connection = std::move(host.idle.back());
    host.idle.pop_back();
    --idle_total_;
    const auto idle = now - connection->idle_since;
    if (idle < kIdleMaxAge && (idle < kCheckIdleAfter || still_open(connection->socket))) {
      return Lease{std::move(connection), true};
    }
    --host.open;
  }
  return std::nullopt;
}

Task<Result<PlainHttp::Lease>> PlainHttp::acquire(Host& host, const HttpUrl& url,
                                                  const Deadlines& deadlines) {
  auto cancellation = co_await asio::this_coro::cancellation_state;
  for (;;) {
    if (std::optional<Lease> lease = take_idle(host, SteadyClock::now())) co_return std::move(*lease);
    if (host.open < options_.max_host_connections) co_return co_await connect(host, url, deadlines);
    // Every connection to this host is busy: wait for one to come back or close.
    asio::steady_timer wait(executor_, deadlines.first_byte.at);
    host.waiters.push_back(&wait);
    auto [ec] = co_await wait.async_wait(kAwait);
    std::erase(host.waiters, &wait);
    if (cancelled(cancellation)) co_return cancelled_error();
    if (!ec) co_return timed_out(deadlines.first_byte);
  }
}

Task<Result<PlainHttp::Lease>> PlainHttp::connect(Host& host, const HttpUrl& url,
                                                  const Deadlines& deadlines) {
  auto cancellation = co_await asio::this_coro::cancellation_state;
  ++host.open;
  auto connection = std::make_unique<Connection>(executor_);
  auto fail = [&](Error error) -> Result<Lease> {
    --host.open;
    host.wake_one();
    return error;
  };
  const std::string where = url.authority();
  Watchdog watchdog(executor_);

  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(url.host, ec);
  const auto port = static_cast<unsigned short>(std::stoi(url.port));
  if (!ec) {
    endpoints.emplace_back(address, port);
  } else {
    tcp::resolver resolver(executor_);
    watchdog.watch(deadlines.connect.at, [&resolver] { resolver.cancel(); });
    auto [resolve_ec, results] = co_await resolver.async_resolve(url.host, url.port, kAwait);
    watchdog.disarm();
    if (watchdog.fired()) co_return fail(timed_out(deadlines.connect));
    if (cancelled(cancellation)) co_return fail(cancelled_error());
    if (resolve_ec) {
      co_return fail(make_error(ErrorCode::UpstreamError, "upstream connection failed: cannot resolve " +
                                                              url.host + ": " + resolve_ec.message()));
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }

  tcp::socket& socket = connection->socket;
  watchdog.watch(deadlines.connect.at, [&socket] {
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAwait);
  watchdog.disarm();
  if (watchdog.fired()) co_return fail(timed_out(deadlines.connect));
  if (cancelled(cancellation)) co_return fail(cancelled_error());
  if (connect_ec) {
    co_return fail(make_error(ErrorCode::UpstreamError, "upstream connection failed: cannot connect to " +
                                                            where + ": " + connect_ec.message()));
  }
  socket.set_option(tcp::no_delay(true), ec);
  co_return Lease{std::move(connection), false};
}

Task<PlainHttp::Exchange> PlainHttp::exchange(Connection& c, const std::string& head,
                                              const std::string& body, HttpStreamHandler& handler,
                                              const Deadlines& deadlines) {
  auto cancellation = co_await asio::this_coro::cancellation_state;
  Watchdog& watchdog = c.watchdog;
  tcp::socket& socket = c.socket;
  auto cancel_socket = [&socket] {
    boost::system::error_code ignored;
    socket.cancel(ignored);
  };
  // The connection's watchdog may remember a fire from its last exchange: only a watch of this
  // one counts. (Steps that need no wait, a write the socket takes at once say, watch nothing.)
  bool watched = false;
  auto watch = [&](TimePoint at) {
    watched = true;
    watchdog.watch(at, cancel_socket);
  };
  auto fired = [&] { return watched && watchdog.fired(); };
  // An operation's error, as the transfer's outcome.
  auto failed = [&](const boost::system::error_code& ec, const Limit& limit,
                    const char* what) -> Error {
    if (fired()) return timed_out(limit);
    if (cancelled(cancellation)) return cancelled_error();
    return make_error(ErrorCode::UpstreamError, std::string(what) + ec.message());
  };

  const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};
  boost::system::error_code write_ec;
  std::size_t written = 0;
  if (!http_io::write_now(socket, request, written, write_ec)) {
    watch(deadlines.first_byte.at);
    std::tie(write_ec, std::ignore) = co_await http_io::write(socket, request, written);
    watchdog.disarm();
  }
  if (write_ec) {
    co_return Exchange{failed(write_ec, deadlines.first_byte, "upstream connection failed: "),
                       false, !fired() && !cancelled(cancellation)};
  }

  // The head, past any interim (1xx) responses.
  std::optional<ResponseParser> parser;
  for (;;) {
    parser.emplace();
    parser->header_limit(kHeaderLimit);
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    watch(deadlines.first_byte.at);
    auto ec = co_await http_io::read(socket, c.buffer, *parser, http_io::Until::Header);
    watchdog.disarm();
    if (ec) {
      const bool nothing_came = !parser->got_some() && c.buffer.size() == 0;
      const bool closed = ec == http::error::end_of_stream || ec == asio::error::eof ||
                          ec == asio::error::connection_reset;
      const char* what = closed || !parser->got_some() ? "upstream connection failed: "
                                                       : "upstream sent a malformed response head: ";
      co_return Exchange{failed(ec, deadlines.first_byte, what), false,
                         nothing_came && closed && !fired() && !cancelled(cancellation)};
    }
    const int status = parser->head().status;
    if (status >= 200 || status == 101) break;
  }

  if (Status status = handler.on_head(std::move(parser->head())); !status) {
    co_return Exchange{std::move(status), false, false};
  }

  // The limit between chunks runs from the first wait after the head or after body bytes the
  // handler took (time spent on a slow consumer is not upstream silence), and the grace from
  // the first wait after the handler had all it wanted. The clock is read only for a wait: a
  // body that came with its head costs no read.
  std::optional<TimePoint> last_data, finished_at;
  bool finished = false;
  Limit limit = deadlines.total;
  while (!parser->is_done()) {
    if (cancelled(cancellation)) co_return Exchange{cancelled_error(), false, false};
    parser->fill(c.piece);
    boost::system::error_code ec;
    if (!http_io::parse_buffered(c.buffer, *parser, http_io::Until::Progress, ec)) {
      const TimePoint now = SteadyClock::now();
      if (!last_data) last_data = now;
      if (finished && !finished_at) finished_at = now;
      limit = deadlines.next_chunk(*last_data);
      if (finished_at) limit = earliest(limit, {*finished_at + kFinishedGrace, "grace", kFinishedGrace});
      watch(limit.at);
      ec = co_await http_io::read(socket, c.buffer, *parser, http_io::Until::Progress);
      watchdog.disarm();
    }
    if (const std::string_view got = parser->filled(); !got.empty()) {
      std::optional<Status> status = handler.on_body_now(got);
      if (!status) status = co_await handler.on_body(got);
      if (!*status) co_return Exchange{std::move(*status), false, false};
      last_data.reset();
      finished = finished || handler.finished();
    }
    if (ec && ec != http::error::need_buffer) {
      // The handler has what it wanted: the rest of the body does not matter, only the
      // connection is lost.
      if (finished && !cancelled(cancellation)) co_return Exchange{Status{}, false, false};
      co_return Exchange{failed(ec, limit, "upstream connection failed mid-response: "), false, false};
    }
  }
  co_return Exchange{Status{}, parser->keep_alive() && c.buffer.size() == 0, false};
}

void PlainHttp::release(Host& host, std::unique_ptr<Connection> connection, bool reusable) {
  if (reusable && idle_total_ < static_cast<std::size_t>(options_.max_cached_connections)) {
    connection->idle_since = SteadyClock::now();
    host.idle.push_back(std::move(connection));
    ++idle_total_;
  } else {
    --host.open;  // the socket closes with the connection
  }
  host.wake_one();
}

}  // namespace hearth::upstream
