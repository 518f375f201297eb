#include "session.hpp"

#include <array>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include "hearth/core/http_io.hpp"
#include "hearth/core/wakeup.hpp"
#include "hearth/core/watchdog.hpp"
#include "hearth/gateway/cache_control.hpp"
#include "hearth/gateway/error_response.hpp"
#include "hearth/gateway/openai_codec.hpp"
#include "hearth/gateway/routes.hpp"
#include "http_response.hpp"
#include "http_sink.hpp"
#include "request_parser.hpp"

namespace hearth::gateway::detail {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 4096;
constexpr size_t kMaxLingerBytes = 1u << 20;
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4";

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

int64_t millis_between(TimePoint from, TimePoint to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

bool is_http_error(const boost::system::error_code& ec) {
  return ec.category() == make_error_code(http::error::end_of_stream).category();
}

// An exception that escaped a source (a cancelled operation, say), as an error.
Status escaped_error(const std::exception_ptr& escaped, const RequestContext& context,
                     Logger& log) {
  try {
    std::rethrow_exception(escaped);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) {
      return make_error(ErrorCode::Cancelled, "the request was cancelled");
    }
    log.error("completion_exception", {{"request_id", context.request_id}, {"what", e.what()}});
  } catch (const std::exception& e) {
    log.error("completion_exception", {{"request_id", context.request_id}, {"what", e.what()}});
  }
  return make_error(ErrorCode::Internal, "The route failed unexpectedly.");
}

// What one request did, filled in as it goes; it closes the metrics and the access log.
struct Exchange {
  TimePoint start;
  std::string request_id;
  std::string_view method;
  std::string_view path;
  std::optional<Route> route;
  Identity identity;
  std::string model;
  std::string upstream_route;  // x-hearth-route; empty off the completion paths
  std::string cache_status;    // x-hearth-cache; empty when the cache was not involved
  std::string rule;            // x-hearth-rule; empty off the completion paths
  unsigned status = 0;
  bool stream = false;
  bool keep_alive = false;
  bool http10 = false;
  std::optional<TimePoint> first_byte;
  std::optional<Usage> usage;
  std::string_view error;
};

// A completion raced against the client hanging up and the request deadline. Neither
// contender is a coroutine: the deadline is the session's watchdog and the watch a read on
// the client socket, whose handlers stop the router by cancelling the session coroutine's
// pending operation through its cancellation slot (that is how an upstream transfer stops).
// Racing three coroutines in two parallel groups spawned and allocated them for every
// request. The read's handler holds this state, not the session's frame: one that runs after
// the race finds it over, keeps what it read for the next request, hands the race back to the
// session (as its spare) and wakes whoever waits for the read; one that runs after the session
// finds the connection gone. Whoever waits for the read holds no reference to the race
// meanwhile (see Wakeup), so that when the read's handler is destroyed unrun (its io_context
// going), the race, and through it the waiting coroutine, goes with it.
struct Race {
  enum class Stop { None, ClientGone, Deadline };

  void stop(Stop why) {
    if (session == nullptr || stopped != Stop::None) return;
    stopped = why;
    session->emit(asio::cancellation_type::terminal);
  }

  // For the next request, once nothing else holds this race (its read's handler has run).
  void reset() {
    session = nullptr;
    stopped = Stop::None;
    read_failed = false;
  }

  asio::cancellation_signal* session = nullptr;  // null once the router has returned
  Stop stopped = Stop::None;
  asio::cancellation_signal stop_read;  // cancels the watch's read alone
  bool reading = false;
  Wakeup read_done;              // woken by the read's handler
  bool read_failed = false;      // how the read that outlived the race ended
  Connection* conn = nullptr;    // the session's; null once the session is gone
};

enum class ReadStatus { Ok, Close, Reply };

struct ReadResult {
  ReadStatus status = ReadStatus::Ok;
  Error error;
};

class Session {
 public:
  Session(std::shared_ptr<ServerState> state, Worker& worker, tcp::socket socket,
          asio::cancellation_signal& cancel);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Task<void> run();

 private:
  void start_request();
  // Parses the request from the buffer alone; true when that decided it (it was all there, or
  // it failed), false when read_request must go on from where it stopped.
  bool request_from_buffer(ReadResult& result);
  Task<ReadResult> read_request();
  ReadResult read_failure(const boost::system::error_code& ec, std::string_view what,
                          Duration limit);
  Task<void> reject(const Error& error);
  Task<void> linger();

  Task<bool> handle(ClientRequest& request);
  Task<void> dispatch(ClientRequest& request, Exchange& ex);
  Task<void> serve_completion(ClientRequest& request, Exchange& ex, Endpoint endpoint);
  void watch_client(const std::shared_ptr<Race>& race);
  std::shared_ptr<Race> new_race();
  bool end_race(const std::shared_ptr<Race>& race);
  Task<void> stop_read(std::shared_ptr<Race> race);

  Exchange begin(const ClientRequest* request);
  void finish(const Exchange& ex);
  ResponseHead head_for(const Exchange& ex, unsigned status) const;
  Task<void> respond(Exchange& ex, ResponseHead head, std::string body);
  Task<void> respond_error(Exchange& ex, Error error, std::string_view allow = {});

  std::shared_ptr<ServerState> state_;  // first: destroyed last
  Worker& worker_;
  asio::cancellation_signal& cancel_;  // bound to this session coroutine's cancellation slot
  const Limits& limits_;
  Connection conn_;
  Watchdog deadline_watch_;  // the request deadline, one timer for all the connection's requests
  std::shared_ptr<Race> next_read_;  // a race whose read goes on as the wait for the next request
  std::shared_ptr<Race> spare_race_;  // the last race, its read over, for new_race to reuse
  ClientRequest request_;            // the request being served, its strings reused for the next
  std::optional<RequestParser> parser_;
  std::string out_;
  SinkBuffers sink_buffers_;  // each request's HttpSink writes from these
  TimePoint request_start_;
};

Session::Session(std::shared_ptr<ServerState> state, Worker& worker, tcp::socket socket,
                 asio::cancellation_signal& cancel)
    : state_(std::move(state)),
      worker_(worker),
      cancel_(cancel),
      limits_(state_->config.limits),
      conn_(std::move(socket), limits_.max_header_bytes + 2 * kReadChunk),
      deadline_watch_(conn_.socket.get_executor(), kWatchdogRecheck) {
  conn_.registration = worker_.connections.insert(worker_.connections.end(), &conn_);
  state_->metrics.connection_opened();
  out_.reserve(1024);
}

Session::~Session() {
  if (next_read_) next_read_->conn = nullptr;  // its handler, still to run, must not touch us
  worker_.connections.erase(conn_.registration);
  // The close sends the FIN; no shutdown before it, which would add a system call and change
  // nothing (unread bytes make a reset either way).
  boost::system::error_code ignored;
  conn_.socket.close(ignored);
  state_->metrics.connection_closed();
  state_->connections.fetch_sub(1);
  if (worker_.draining && worker_.connections.empty()) worker_.sweep_timer.cancel();
  state_->release();
}

Task<void> Session::run() {
  for (;;) {
    // Wait for the next request, unless a pipelined one is already buffered. The wait is
    // written out here rather than in a coroutine of its own: a frame fewer per request.
    if (next_read_ || conn_.buffer.size() == 0) {
      if (conn_.closing || state_->draining.load()) break;
      conn_.enter(Phase::Idle, limits_.idle_timeout);
      bool got_bytes = false;
      if (auto race = std::exchange(next_read_, nullptr)) {
        // The last request's watch still reads (or has read) the socket: wait for what it gets.
        // Its handler hands the race back as spare_race_.
        if (race->reading) {
          Race& waited = *race;
          race.reset();
          co_await waited.read_done.wait();
          got_bytes = !waited.read_failed;
        } else {
          got_bytes = !race->read_failed;
          spare_race_ = std::move(race);
        }
      } else {
        auto [ec, n] = co_await conn_.socket.async_read_some(conn_.buffer.prepare(kReadChunk), kNoThrow);
        conn_.buffer.commit(n);
        got_bytes = !ec;
      }
      if (!got_bytes) break;
    }

    // Read it under the header and body limits: from the buffer alone when it holds all of
    // it, as it mostly does (a coroutine's frame fewer per request).
    start_request();
    ReadResult read;
    if (!request_from_buffer(read)) read = co_await read_request();
    if (read.status == ReadStatus::Close) break;
    if (read.status == ReadStatus::Reply) {
      co_await reject(read.error);
      break;
    }

    // Handle it; go on only if the connection can carry another request.
    if (!co_await handle(request_)) break;
    if (state_->draining.load()) break;
  }
  if (auto race = std::exchange(next_read_, nullptr)) co_await stop_read(std::move(race));
}

void Session::start_request() {
  request_start_ = std::chrono::steady_clock::now();
  parser_.emplace(request_);
  parser_->header_limit(limits_.max_header_bytes);
  parser_->body_limit(limits_.max_body_bytes);
  conn_.enter(Phase::Reading, limits_.header_timeout, request_start_);
}

bool Session::request_from_buffer(ReadResult& result) {
  boost::system::error_code ec;
  if (!http_io::parse_buffered(conn_.buffer, *parser_, http_io::Until::Header, ec)) return false;
  if (ec) {
    result = read_failure(ec, "headers", limits_.header_timeout);
    return true;
  }
  if (request_.expects_continue) return false;  // read_request sends the 100 Continue
  if (!parser_->is_done()) {
    if (!http_io::parse_buffered(conn_.buffer, *parser_, http_io::Until::Message, ec)) {
      return false;  // read_request waits for the rest under the body timeout
    }
    if (ec) {
      result = read_failure(ec, "body", limits_.body_timeout);
      return true;
    }
  }
  conn_.enter(Phase::Handling, Duration::max());
  return true;
}

Task<ReadResult> Session::read_request() {
  // The request line and headers.
  boost::system::error_code ec;
  if (!http_io::parse_buffered(conn_.buffer, *parser_, http_io::Until::Header, ec)) {
    ec = co_await http_io::read(conn_.socket, conn_.buffer, *parser_, http_io::Until::Header);
  }
  if (ec) co_return read_failure(ec, "headers", limits_.header_timeout);

  // The body, if any.
  if (!parser_->is_done()) {
    if (request_.expects_continue) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      const auto buffer = asio::buffer(kContinue);
      co_await http_io::write(conn_.socket, buffer);
    }
    conn_.enter(Phase::Reading, limits_.body_timeout);
    if (!http_io::parse_buffered(conn_.buffer, *parser_, http_io::Until::Message, ec)) {
      ec = co_await http_io::read(conn_.socket, conn_.buffer, *parser_, http_io::Until::Message);
    }
    if (ec) co_return read_failure(ec, "body", limits_.body_timeout);
  }
  conn_.enter(Phase::Handling, Duration::max());
  co_return ReadResult{};
}

ReadResult Session::read_failure(const boost::system::error_code& ec, std::string_view what,
                                 Duration limit) {
  auto reply = [](ErrorCode code, std::string message) {
    return ReadResult{ReadStatus::Reply, make_error(code, std::move(message))};
  };
  if (conn_.timed_out) {
    return reply(ErrorCode::RequestTimeout, "The request " + std::string(what) +
                                                " did not arrive within " +
                                                std::to_string(limit.count()) + " ms.");
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return reply(ErrorCode::InvalidRequest, "The request headers exceed the limit of " +
                                                std::to_string(limits_.max_header_bytes) +
                                                " bytes.");
  }
  if (ec == http::error::body_limit) {
    return reply(ErrorCode::PayloadTooLarge, "The request body exceeds the limit of " +
                                                 std::to_string(limits_.max_body_bytes) +
                                                 " bytes.");
  }
  if (!is_http_error(ec) || ec == http::error::end_of_stream ||
      ec == http::error::partial_message) {
    return ReadResult{ReadStatus::Close, {}};  // the client closed or reset the connection
  }
  return reply(ErrorCode::InvalidRequest, "Malformed HTTP request: " + ec.message() + ".");
}

Task<void> Session::reject(const Error& error) {
  const bool header_read = parser_ && parser_->is_header_done();
  Exchange ex = begin(header_read ? &request_ : nullptr);
  ex.keep_alive = false;
  co_await respond_error(ex, error);
  finish(ex);
  co_await linger();
}

Task<void> Session::linger() {
  // Half-close, then drain what the client still sends so that our reply is not lost to a
  // reset; bounded in time (the sweeper) and in bytes.
  boost::system::error_code ignored;
  conn_.socket.shutdown(tcp::socket::shutdown_send, ignored);
  conn_.enter(Phase::Lingering, state_->linger_time);
  std::array<char, kReadChunk> discard;
  size_t total = 0;
  while (total < kMaxLingerBytes) {
    auto [ec, n] = co_await conn_.socket.async_read_some(asio::buffer(discard), kNoThrow);
    if (ec) break;
    total += n;
  }
}

Exchange Session::begin(const ClientRequest* request) {
  Exchange ex;
  ex.start = request_start_;
  ex.request_id = worker_.ids.pick(request ? request->request_id : "");
  if (request != nullptr) {
    ex.method = request->method;
    ex.path = target_path(request->target);
    ex.keep_alive = request->keep_alive && !state_->draining.load();
    ex.http10 = request->version == 10;
    if (auto route = match_route(ex.method, request->target)) ex.route = *route;
  }
  state_->metrics.request_started();
  return ex;
}

Task<bool> Session::handle(ClientRequest& request) {
  Exchange ex = begin(&request);
  if (!ex.route) {
    // Unknown path or wrong method.
    auto route = match_route(ex.method, request.target);
    std::string_view allow;
    if (route.error().code == ErrorCode::MethodNotAllowed) {
      allow = route_method(*route_for_path(ex.path));
    }
    co_await respond_error(ex, route.error(), allow);
  } else {
    co_await dispatch(request, ex);
  }
  finish(ex);
  co_return ex.keep_alive;
}

// Not a coroutine: it returns the coroutine that answers, which saves a frame per request. So
// what it hands on is owned by that coroutine (heads, bodies and errors go by value) or outlives
// it (the request and the exchange, in handle's frame).
Task<void> Session::dispatch(ClientRequest& request, Exchange& ex) {
  auto& services = state_->services;
  switch (*ex.route) {
    case Route::Healthz:
      return respond(ex, head_for(ex, 200), R"({"status":"ok"})");
    case Route::Readyz: {
      auto readiness = services.readiness();
      std::string body = dump_json(readiness.detail.is_null()
                                       ? Json{{"ready", readiness.ready}}
                                       : readiness.detail);
      return respond(ex, head_for(ex, readiness.ready ? 200 : 503), std::move(body));
    }
    case Route::Metrics: {
      auto head = head_for(ex, 200);
      head.content_type = kPrometheus;
      return respond(ex, head, services.metrics.render());
    }
    case Route::Models:
    case Route::ChatCompletions:
    case Route::Completions:
      break;
  }

  // The /v1 routes: authenticate first.
  const bool completion = *ex.route != Route::Models;
  if (completion) ex.upstream_route = "none";
  auto identity = services.auth.authenticate(request.authorization, request.api_key);
  if (!identity) return respond_error(ex, std::move(identity).error());
  ex.identity = std::move(*identity);

  if (!completion) {
    return respond(ex, head_for(ex, 200),
                   dump_json(models_list(services.models(), state_->created_unix_seconds)));
  }
  return serve_completion(request, ex,
                          *ex.route == Route::ChatCompletions ? Endpoint::ChatCompletions
                                                              : Endpoint::Completions);
}

Task<void> Session::serve_completion(ClientRequest& request, Exchange& ex, Endpoint endpoint) {
  // Decode the body.
  auto decoded = decode_request(endpoint, std::move(request.body));
  if (!decoded) {
    co_await respond_error(ex, decoded.error());
    co_return;
  }
  ex.model = decoded->model;
  decoded->cache = parse_cache_control(request.cache_control);
  ex.stream = decoded->stream;
  RequestContext context;
  context.request_id = ex.request_id;
  context.app = ex.identity.app;
  context.team = ex.identity.team;
  context.deadline = ex.start + limits_.request_deadline;
  context.headers = std::move(request.policy_headers);

  // Race the router against the client going away and the request deadline (see Race).
  HttpSink sink(conn_.socket, head_for(ex, 200), decoded->stream, sink_buffers_);
  CompletionSource& source = state_->services.router(worker_.index);
  std::shared_ptr<Race> race = new_race();
  // A raw pointer: end_race disarms the watch before the race can go, and should this frame
  // unwind without it, the session (and its watchdog) goes at once after.
  deadline_watch_.watch(context.deadline, [r = race.get()] { r->stop(Race::Stop::Deadline); });
  watch_client(race);
  Status result;
  try {
    result = co_await source.complete(*decoded, context, sink);
  } catch (...) {
    result = escaped_error(std::current_exception(), context, state_->services.log);
  }
  // A stop leaves this coroutine's cancellation state set, and its next co_await would
  // throw: clear it first.
  co_await asio::this_coro::reset_cancellation_state();
  const Race::Stop stopped = race->stopped;
  if (end_race(race)) {
    co_await stop_read(std::move(race));
  } else if (!race->reading) {
    spare_race_ = std::move(race);
  }
  race.reset();  // a read still on is next_read_'s

  ex.upstream_route = sink.route();
  ex.cache_status = sink.cache_status();
  ex.rule = sink.rule();
  ex.first_byte = sink.first_byte();
  ex.usage = sink.usage();

  // The client went away: nothing more is written.
  if ((!result.ok() && stopped == Race::Stop::ClientGone) || sink.client_gone()) {
    ex.status = kStatusClientClosed;
    ex.error = to_string(ErrorCode::Cancelled);
    ex.keep_alive = false;
    co_return;
  }
  if (!result.ok() && stopped == Race::Stop::Deadline) {
    result = make_error(ErrorCode::DeadlineExceeded, "The request did not complete within its deadline.");
  }
  if (result.ok() && !sink.committed()) {
    result = make_error(ErrorCode::Internal, "The route finished without a response.");
  }

  // Nothing sent yet: a plain error response.
  if (!sink.committed()) {
    co_await respond_error(ex, result.error());
    co_return;
  }

  // A committed stream ends with [DONE], or with an error event — never silently.
  // The wire status is already 200; metrics and the access log count a broken stream as the
  // failure it is (502/504), not as a success.
  ex.status = result.ok() ? 200 : to_error_response(result.error()).status;
  if (!result.ok()) ex.error = to_string(result.error().code);
  if (sink.streaming() && !sink.finished() && !sink.broken()) {
    Status ended = Status{};
    if (result.ok()) {
      if (std::optional<Status> now = sink.end_stream_now()) {
        ended = std::move(*now);
      } else {
        ended = co_await sink.end_stream();
      }
    } else {
      ended = co_await sink.fail_stream(result.error());
    }
    if (!ended.ok() && sink.client_gone()) ex.status = kStatusClientClosed;
  }
  ex.keep_alive = ex.keep_alive && sink.keep_alive();
}

void Session::watch_client(const std::shared_ptr<Race>& race) {
  // Read (and keep, for the next pipelined request) whatever arrives; the client closing or
  // resetting stops the router. With the buffer full, stop reading: a hang-up then goes
  // unseen until the response is out.
  if (conn_.buffer.size() + kReadChunk > conn_.buffer.max_size()) return;
  race->reading = true;
  conn_.socket.async_read_some(
      conn_.buffer.prepare(kReadChunk),
      asio::bind_cancellation_slot(race->stop_read.slot(), [this, race](const boost::system::error_code& ec,
                                                                        std::size_t n) mutable {
        race->reading = false;
        if (race->conn == nullptr) return;  // the session is gone
        race->conn->buffer.commit(n);
        if (race->session == nullptr) {
          // stop_read or run, waiting for a request, may wait for this. The race is handed back
          // before the waiter runs, which may reuse it (new_race wants it held once).
          race->read_failed = ec.failed();
          Race& done = *race;
          spare_race_ = std::move(race);
          done.read_done.wake();
        } else if (ec) {
          race->stop(Race::Stop::ClientGone);
        } else {
          watch_client(race);
        }
      }));
}

// The last race when nothing else holds it (its read's handler has run), else a new one:
// reusing it saves an allocation and its timer's set-up per request.
std::shared_ptr<Race> Session::new_race() {
  std::shared_ptr<Race> race = std::move(spare_race_);
  if (race && race.use_count() == 1 && !race->reading) {
    race->reset();
  } else {
    race = std::make_shared<Race>();
  }
  race->session = &cancel_;
  race->conn = &conn_;
  return race;
}

// True when the watch's read is still on and must be stopped (stop_read) before the session
// reads again.
bool Session::end_race(const std::shared_ptr<Race>& race) {
  race->session = nullptr;
  deadline_watch_.disarm();
  if (!race->reading) return false;
  // With nothing buffered, the watch's read goes on as the wait for the next request: it gets
  // that request's bytes (or sees the client leave) as a new read would, and cancelling it to
  // start that new read cost a cancellation and two handler runs per request.
  if (conn_.buffer.size() == 0) {
    next_read_ = race;
    return false;
  }
  return true;
}

Task<void> Session::stop_read(std::shared_ptr<Race> race) {
  // The watch's read must finish before anyone else reads the socket or the buffer. Its
  // handler holds the race alone meanwhile and hands it back as spare_race_.
  if (!race->reading) co_return;
  Race& stopped = *race;
  race.reset();
  stopped.stop_read.emit(asio::cancellation_type::terminal);
  co_await stopped.read_done.wait();
}

ResponseHead Session::head_for(const Exchange& ex, unsigned status) const {
  ResponseHead head;
  head.status = status;
  head.request_id = ex.request_id;
  head.route = ex.upstream_route;
  head.cache = ex.cache_status;
  head.rule = ex.rule;
  head.keep_alive = ex.keep_alive;
  head.http10 = ex.http10;
  return head;
}

Task<void> Session::respond(Exchange& ex, ResponseHead head, std::string body) {
  ex.status = head.status;
  out_.clear();
  append_head(out_, head, BodyFraming::ContentLength, body.size());
  conn_.enter(Phase::Writing, limits_.idle_timeout);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(out_), asio::buffer(body)};
  boost::system::error_code ec;
  size_t written = 0;
  if (!http_io::write_now(conn_.socket, buffers, written, ec)) {
    std::tie(ec, std::ignore) = co_await http_io::write(conn_.socket, buffers, written);
  }
  conn_.enter(Phase::Handling, Duration::max());
  if (ec) ex.keep_alive = false;
}

Task<void> Session::respond_error(Exchange& ex, Error error, std::string_view allow) {
  ex.error = to_string(error.code);
  if (error.code == ErrorCode::Cancelled) {  // nobody to tell
    ex.status = kStatusClientClosed;
    ex.keep_alive = false;
    co_return;
  }
  auto response = to_error_response(error);
  auto head = head_for(ex, response.status);
  head.retry_after_s = response.retry_after_s;
  head.allow = allow;
  std::string body = dump_json(response.body);
  co_await respond(ex, head, std::move(body));
}

void Session::finish(const Exchange& ex) {
  const auto now = std::chrono::steady_clock::now();
  const bool completion = !ex.upstream_route.empty();
  std::optional<double> ttfb;
  if (completion && ex.first_byte) ttfb = seconds_between(ex.start, *ex.first_byte);
  state_->metrics.request_finished(ex.route ? route_path(*ex.route) : "other", ex.status,
                                   ex.upstream_route, seconds_between(ex.start, now), ttfb);
  if (!state_->services.access_log.enabled(LogLevel::Info)) return;

  Json record = {{"request_id", ex.request_id},
                 {"method", ex.method},
                 {"path", ex.path},
                 {"status", ex.status},
                 {"latency_ms", millis_between(ex.start, now)}};
  if (!ex.identity.app.empty()) {
    record["app"] = ex.identity.app;
    record["team"] = ex.identity.team;
  }
  if (completion) {
    record["model"] = ex.model;
    record["route"] = ex.upstream_route;
    if (!ex.cache_status.empty()) record["cache"] = ex.cache_status;
    record["rule"] = ex.rule;
    record["stream"] = ex.stream;
    if (ex.first_byte) record["ttfb_ms"] = millis_between(ex.start, *ex.first_byte);
    if (ex.usage) {
      record["prompt_tokens"] = ex.usage->prompt_tokens;
      record["completion_tokens"] = ex.usage->completion_tokens;
    }
  }
  if (!ex.error.empty()) record["error"] = ex.error;
  state_->services.access_log.info("access", std::move(record));
}

}  // namespace

Task<void> run_session(std::shared_ptr<ServerState> state, Worker& worker, tcp::socket socket,
                       asio::cancellation_signal& cancel) {
  Logger& log = state->services.log;
  Session session(std::move(state), worker, std::move(socket), cancel);
  try {
    co_await session.run();
  } catch (const std::exception& e) {
    log.error("session_error", {{"what", e.what()}});
  }
}

}  // namespace hearth::gateway::detail
