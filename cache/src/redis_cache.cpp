#include "hearth/cache/redis_cache.hpp"

#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "redis_connection.hpp"

namespace hearth::cache {
namespace asio = boost::asio;
using detail::RedisConnection;

namespace {

// One GET in flight: filled by the reply callback, which wakes the waiting lookup by
// cancelling its timer. Shared by the two, since either may be gone first.
struct PendingGet {
  explicit PendingGet(const asio::any_io_executor& executor) : timer(executor) {}

  void take(redisReply* reply) {
    done = true;
    if (reply == nullptr) {
      kind = Kind::Gone;
    } else if (reply->type == REDIS_REPLY_STRING) {
      kind = Kind::Value;
      value.assign(reply->str, reply->len);
    } else if (reply->type == REDIS_REPLY_NIL) {
      kind = Kind::Nil;
    } else if (reply->type == REDIS_REPLY_ERROR) {
      kind = Kind::Error;
      value.assign(reply->str, reply->len);
    } else {
      kind = Kind::Error;
      value = "unexpected reply type to GET";
    }
    timer.cancel();
  }

  enum class Kind { Value, Nil, Error, Gone };
  asio::steady_timer timer;
  bool done = false;
  Kind kind = Kind::Gone;
  std::string value;  // the entry, or the error text
};

CacheLookup unavailable() { return CacheLookup{CacheLookup::Outcome::Unavailable, nullptr}; }

}  // namespace

struct RedisCache::Impl {
  Impl(asio::any_io_executor e, RedisCacheConfig c, CacheMetrics& m)
      : executor(std::move(e)), config(std::move(c)), metrics(m) {}

  // The ready connection with the fewest commands waiting, skipping any whose oldest command
  // has waited past the timeout (a new one would wait behind it); one stalled for too long is
  // reset. Null when none can take a command now.
  RedisConnection* pick() {
    const TimePoint now = std::chrono::steady_clock::now();
    RedisConnection* best = nullptr;
    for (auto& connection : pool) {
      if (!connection->ready()) continue;
      const Duration waited = connection->oldest_wait(now);
      if (waited >= config.stall_reset) {
        metrics.error("stalled_connection", "no reply for " + std::to_string(waited.count()) + " ms");
        connection->reset("no reply for " + std::to_string(waited.count()) + " ms");
        continue;
      }
      if (waited >= config.timeout || connection->in_flight() >= config.max_in_flight) continue;
      if (best == nullptr || connection->in_flight() < best->in_flight()) best = connection.get();
    }
    return best;
  }

  asio::any_io_executor executor;
  RedisCacheConfig config;
  CacheMetrics& metrics;
  std::vector<std::shared_ptr<RedisConnection>> pool;
};

RedisCache::RedisCache(asio::any_io_executor executor, RedisCacheConfig config, CacheMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config), metrics)) {
  const int size = std::max(1, impl_->config.pool_size);
  for (int i = 0; i < size; ++i) {
    impl_->pool.push_back(std::make_shared<RedisConnection>(impl_->executor, impl_->config, metrics));
  }
}

RedisCache::~RedisCache() = default;

void RedisCache::start() {
  for (auto& connection : impl_->pool) connection->start();
}

int RedisCache::ready_connections() const {
  int ready = 0;
  for (const auto& connection : impl_->pool) ready += connection->ready() ? 1 : 0;
  return ready;
}

Task<CacheLookup> RedisCache::lookup(const std::string& key) {
  // Nothing usable: bypass at no cost (the connections come back by themselves).
  RedisConnection* connection = impl_->pick();
  if (connection == nullptr) co_return unavailable();

  // Send GET; wait for its reply or the timeout, whichever comes first. After the wait only
  // `pending` and `metrics` are touched: this cache may be gone by then.
  auto pending = std::make_shared<PendingGet>(impl_->executor);
  const bool sent = connection->send({"GET", key}, [pending](redisReply* reply) { pending->take(reply); });
  if (!sent) co_return unavailable();
  CacheMetrics& metrics = impl_->metrics;
  std::weak_ptr<RedisConnection> weak = connection->weak_from_this();
  pending->timer.expires_after(impl_->config.timeout);
  auto [ec] = co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!pending->done && ec != asio::error::operation_aborted) {
    // The timeout fired: the reply may have arrived while the loop was busy elsewhere.
    if (auto late = weak.lock()) late->poll();
  }
  if (!pending->done) {
    if (ec != asio::error::operation_aborted) {
      metrics.error("lookup_timeout", "no reply within the timeout");
    }
    co_return unavailable();
  }

  switch (pending->kind) {
    case PendingGet::Kind::Value:
      metrics.recovered("lookup_timeout");
      co_return CacheLookup{CacheLookup::Outcome::Hit,
                            std::make_shared<const std::string>(std::move(pending->value))};
    case PendingGet::Kind::Nil:
      metrics.recovered("lookup_timeout");
      co_return CacheLookup{CacheLookup::Outcome::Miss, nullptr};
    case PendingGet::Kind::Error:
      if (pending->value.starts_with("WRONGTYPE")) {
        // Not ours (another client's key of another type): delete it, answer a miss.
        metrics.error("foreign_entry", pending->value);
        erase(key);
        co_return CacheLookup{CacheLookup::Outcome::Miss, nullptr};
      }
      metrics.error("lookup_error", pending->value);
      co_return unavailable();
    case PendingGet::Kind::Gone:
      break;
  }
  co_return unavailable();
}

void RedisCache::store(std::string key, std::string value, Duration ttl) {
  if (value.size() > impl_->config.max_entry_bytes) return;
  RedisConnection* connection = impl_->pick();
  if (connection == nullptr) return;  // counted as the bypasses and errors that made it so
  const std::string ttl_ms = std::to_string(std::max<Duration::rep>(1, ttl.count()));
  CacheMetrics& metrics = impl_->metrics;
  std::weak_ptr<RedisConnection> weak = connection->weak_from_this();
  connection->send({"SET", key, value, "PX", ttl_ms}, [&metrics, weak](redisReply* reply) {
    if (reply == nullptr) return;  // the connection went; that is counted already
    if (reply->type == REDIS_REPLY_ERROR) {
      // OOM (maxmemory, noeviction), READONLY (a replica), MISCONF: the write is lost.
      std::string error(reply->str, reply->len);
      metrics.error("store_refused", error);
      // A replica now (a failover behind the same name): reconnect, resolving the name again.
      if (error.starts_with("READONLY")) {
        if (auto refused = weak.lock()) refused->reset("the server is a read-only replica");
      }
    } else {
      metrics.recovered("store_refused");
    }
  });
}

void RedisCache::erase(std::string key) {
  RedisConnection* connection = impl_->pick();
  if (connection == nullptr) return;
  connection->send({"UNLINK", key}, nullptr);
}

}  // namespace hearth::cache
