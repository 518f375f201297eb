#include "redis_connection.hpp"

#include <array>
#include <cmath>

#include <boost/asio/post.hpp>

#include "redis_asio_adapter.hpp"

namespace hearth::cache::detail {
namespace asio = boost::asio;

namespace {
// Connect failures and lost connections share one kind: logged once until Redis is back.
constexpr std::string_view kUnavailable = "redis_unavailable";
constexpr size_t kMaxArgs = 8;
}  // namespace

struct RedisConnection::Pending {
  RedisConnection* connection;
  ReplyHandler done;
};

RedisConnection::RedisConnection(asio::any_io_executor executor, const RedisCacheConfig& config,
                                 CacheMetrics& metrics)
    : executor_(executor),
      config_(config),
      metrics_(metrics),
      resolver_(executor),
      timer_(executor),
      rng_(std::random_device{}()) {}

RedisConnection::~RedisConnection() {
  closing_ = true;
  // Unanswered commands get their null reply now; on_context_freed() follows.
  if (context_ != nullptr) redisAsyncFree(context_);
}

void RedisConnection::start() { connect(); }

Duration RedisConnection::oldest_wait(TimePoint now) const {
  if (sent_at_.empty()) return Duration::zero();
  return std::chrono::duration_cast<Duration>(now - sent_at_.front());
}

void RedisConnection::connect() {
  last_error_.clear();
  setup_error_.clear();
  const RedisEndpoint& endpoint = config_.endpoint;
  if (!endpoint.unix_path.empty()) return open({});
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) return open(address.to_string());

  // A name: Asio resolves it off this thread (getaddrinfo blocks).
  state_ = State::Resolving;
  resolver_.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      [weak = weak_from_this()](const boost::system::error_code& error,
                                const asio::ip::tcp::resolver::results_type& results) {
        auto self = weak.lock();
        if (!self || self->closing_) return;
        if (error || results.empty()) {
          self->state_ = State::Idle;
          self->last_error_ = "cannot resolve " + self->config_.endpoint.host + ": " +
                              (error ? error.message() : std::string("no address"));
          self->retry_later();
          return;
        }
        self->open(results.begin()->endpoint().address().to_string());
      });
}

void RedisConnection::open(const std::string& address) {
  const RedisEndpoint& endpoint = config_.endpoint;
  redisAsyncContext* context = endpoint.unix_path.empty()
                                   ? redisAsyncConnect(address.c_str(), endpoint.port)
                                   : redisAsyncConnectUnix(endpoint.unix_path.c_str());
  if (context == nullptr || context->err != 0) {
    last_error_ = context != nullptr && context->errstr != nullptr ? context->errstr : "cannot connect";
    if (context != nullptr) redisAsyncFree(context);
    state_ = State::Idle;
    return retry_later();
  }
  context->data = this;
  redisAsyncSetConnectCallback(context, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::on_disconnect);
  context_ = context;
  state_ = State::Connecting;
  RedisAsioAdapter::attach(executor_, context, [this] { on_context_freed(); });

  // AUTH and SELECT, then PING, in one pipeline: ready when PING answers after them.
  if (!endpoint.password.empty()) {
    auto setup = [this](redisReply* reply) { on_setup_reply(reply, false); };
    if (endpoint.user.empty()) {
      issue({"AUTH", endpoint.password}, setup);
    } else {
      issue({"AUTH", endpoint.user, endpoint.password}, setup);
    }
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    issue({"SELECT", db}, [this](redisReply* reply) { on_setup_reply(reply, false); });
  }
  issue({"PING"}, [this](redisReply* reply) { on_setup_reply(reply, true); });

  // The whole attempt has the connect timeout.
  timer_.expires_after(config_.connect_timeout);
  timer_.async_wait([weak = weak_from_this(), context](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->context_ != context || self->state_ != State::Connecting) return;
    self->last_error_ = "no answer within the connect timeout";
    redisAsyncFree(context);
  });
}

void RedisConnection::on_setup_reply(redisReply* reply, bool last) {
  if (reply == nullptr) return;  // the attempt is being torn down; on_context_freed follows
  if (reply->type == REDIS_REPLY_ERROR && setup_error_.empty()) {
    setup_error_.assign(reply->str, reply->len);
  }
  if (!last) return;
  if (!setup_error_.empty() || reply->type != REDIS_REPLY_STATUS) {
    last_error_ = setup_error_.empty() ? "unexpected reply to PING" : setup_error_;
    redisAsyncFree(context_);  // inside a callback: hiredis frees it when this returns
    return;
  }
  state_ = State::Ready;
  failures_ = 0;
  timer_.cancel();
  metrics_.connection_up();
  metrics_.recovered(kUnavailable);
}

bool RedisConnection::send(std::initializer_list<std::string_view> args, ReplyHandler done) {
  if (state_ != State::Ready) return false;
  return issue(args, std::move(done));
}

bool RedisConnection::issue(std::initializer_list<std::string_view> args, ReplyHandler done) {
  std::array<const char*, kMaxArgs> argv{};
  std::array<size_t, kMaxArgs> lengths{};
  int argc = 0;
  for (std::string_view arg : args) {
    if (argc == static_cast<int>(kMaxArgs)) return false;
    argv[argc] = arg.empty() ? "" : arg.data();
    lengths[argc] = arg.size();
    ++argc;
  }
  auto* pending = new Pending{this, std::move(done)};
  if (redisAsyncCommandArgv(context_, &RedisConnection::on_reply, pending, argc, argv.data(),
                            lengths.data()) != REDIS_OK) {
    delete pending;
    return false;
  }
  sent_at_.push_back(std::chrono::steady_clock::now());
  return true;
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisConnection* self = pending->connection;
  if (!self->sent_at_.empty()) self->sent_at_.pop_front();
  if (pending->done) pending->done(static_cast<redisReply*>(reply));
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status != REDIS_OK && self->last_error_.empty()) {
    self->last_error_ = context->errstr != nullptr ? context->errstr : "connect failed";
  }
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status != REDIS_OK && self->last_error_.empty()) {
    self->last_error_ = context->errstr != nullptr ? context->errstr : "connection lost";
  }
}

void RedisConnection::reset(std::string why) {
  if (context_ == nullptr) return;
  last_error_ = std::move(why);
  redisAsyncFree(context_);
}

void RedisConnection::poll() {
  // A non-blocking read: with nothing there, hiredis sees EAGAIN and carries on.
  if (context_ != nullptr && state_ == State::Ready) redisAsyncHandleRead(context_);
}

void RedisConnection::on_context_freed() {
  // Inside hiredis' free: every unanswered command has had its null reply.
  context_ = nullptr;
  sent_at_.clear();
  if (state_ == State::Ready) metrics_.connection_down();
  state_ = State::Idle;
  if (closing_) return;
  // hiredis still has the disconnect callback to run: go on from the event loop.
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto self = weak.lock(); self && !self->closing_) self->retry_later();
  });
}

void RedisConnection::retry_later() {
  metrics_.error(kUnavailable, config_.endpoint.describe() + ": " +
                                   (last_error_.empty() ? std::string("connection lost") : last_error_));
  // Backoff: min · 2^failures, capped at max, times a jitter in [0.5, 1).
  const double exponent = std::min(failures_, 20);
  ++failures_;
  const double base = std::min(static_cast<double>(config_.reconnect_max.count()),
                               static_cast<double>(config_.reconnect_min.count()) * std::pow(2.0, exponent));
  const double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
  timer_.expires_after(Duration(static_cast<Duration::rep>(base * jitter)));
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->closing_) return;
    self->connect();
  });
}

}  // namespace hearth::cache::detail
