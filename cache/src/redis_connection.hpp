#pragma once
// RedisConnection: one connection of RedisCache's pool. It connects (the name resolved by
// Asio, a non-blocking connect, then AUTH, SELECT and PING pipelined), carries pipelined
// commands while ready, and when it breaks — or fails to become ready within the connect
// timeout — tries again after a jittered exponential backoff, until destroyed. Held by a
// shared_ptr (its timers hold weak ones). Single-threaded: the executor's thread only.

#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <hiredis/async.h>

#include "hearth/cache/cache_metrics.hpp"
#include "hearth/cache/redis_cache.hpp"

namespace hearth::cache::detail {

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  // Runs once per command: with the reply, or with nullptr when the connection failed or
  // closed before the reply came.
  using ReplyHandler = std::function<void(redisReply* reply)>;

  RedisConnection(boost::asio::any_io_executor executor, const RedisCacheConfig& config,
                  CacheMetrics& metrics);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects in the background; reconnects by itself from then on.
  void start();

  bool ready() const { return state_ == State::Ready; }
  size_t in_flight() const { return sent_at_.size(); }
  // How long the oldest unanswered command has waited; zero when none.
  Duration oldest_wait(TimePoint now) const;

  // Queues a command (arguments are binary-safe and copied at once). False when not ready;
  // then `done` never runs.
  bool send(std::initializer_list<std::string_view> args, ReplyHandler done);

  // Drops the connection (a server that stopped answering) and reconnects after backoff.
  void reset(std::string why);

  // Reads the replies already waiting in the socket now, without waiting for the event loop
  // to get to them (a busy loop must not turn a timely reply into a timeout).
  void poll();

 private:
  enum class State { Idle, Resolving, Connecting, Ready };
  struct Pending;

  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);

  void connect();
  void open(const std::string& address);
  bool issue(std::initializer_list<std::string_view> args, ReplyHandler done);
  void on_setup_reply(redisReply* reply, bool last);
  void on_context_freed();
  void retry_later();

  boost::asio::any_io_executor executor_;
  const RedisCacheConfig& config_;
  CacheMetrics& metrics_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // the connect timeout, then the backoff
  std::mt19937 rng_;

  State state_ = State::Idle;
  redisAsyncContext* context_ = nullptr;
  std::deque<TimePoint> sent_at_;  // one per unanswered command, oldest first
  std::string setup_error_;        // an AUTH or SELECT error of the current attempt
  std::string last_error_;         // why the last attempt or connection failed
  bool was_ready_ = false;         // the context that is going away had become ready
  int failures_ = 0;               // attempts since the last success: the backoff exponent
  bool closing_ = false;
};

}  // namespace hearth::cache::detail
