#pragma once
// RedisCache: entries in Redis, over hiredis' async API driven by this worker's Asio
// executor (no blocking call on the I/O thread: names are resolved by Asio, connects are
// non-blocking). A small pool of pipelined connections; each reconnects in the background
// with backoff. Fail-open: a lookup costs at most `timeout`, and none at all while no
// connection is usable, so Redis down, slow, restarting or refusing writes only turns the
// cache off for a while. One per worker; use it from its executor's thread only. Destroy it
// after that executor has stopped running.

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "hearth/cache/cache_metrics.hpp"
#include "hearth/cache/redis_url.hpp"
#include "hearth/cache/response_cache.hpp"

namespace hearth::cache {

struct RedisCacheConfig {
  RedisEndpoint endpoint;
  Duration timeout{20};             // per lookup
  int pool_size = 2;                // connections per worker
  Duration connect_timeout{1000};   // a connect (and its AUTH/SELECT) must finish in this
  Duration reconnect_min{100};      // backoff between attempts: doubles up to max, jittered
  Duration reconnect_max{5000};
  size_t max_in_flight = 1024;      // per connection; beyond it, requests bypass
  Duration stall_reset{10'000};     // a reply this late: the connection is dropped and redone
  uint64_t max_entry_bytes = 1u << 20;
};

class RedisCache final : public ResponseCache {
 public:
  RedisCache(boost::asio::any_io_executor executor, RedisCacheConfig config, CacheMetrics& metrics);
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  // Starts connecting (asynchronously, on the executor).
  void start();

  Task<CacheLookup> lookup(const std::string& key) override;
  void store(std::string key, std::string value, Duration ttl) override;
  void erase(std::string key) override;
  std::string_view name() const override { return "redis"; }

  // Connections ready for commands now.
  int ready_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::cache
