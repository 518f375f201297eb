#pragma once
// InMemoryCache: the in-process cache — bounded by bytes, least recently used entries go
// first, each entry expires after its TTL on the injected clock. The default backend when no
// Redis is configured, and the L1 in front of Redis. Thread-safe (one mutex): one instance is
// shared by every worker.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "hearth/cache/response_cache.hpp"

namespace hearth::cache {

class InMemoryCache final : public ResponseCache {
 public:
  // `clock` must outlive the cache.
  InMemoryCache(uint64_t max_bytes, const Clock& clock);

  Task<CacheLookup> lookup(const std::string& key) override;
  void store(std::string key, std::string value, Duration ttl) override;
  void erase(std::string key) override;
  std::string_view name() const override { return "memory"; }

  // The same as lookup(), without a coroutine: the value, or null on a miss.
  std::shared_ptr<const std::string> get(const std::string& key);

  // What an entry costs against max_bytes: its key, its value and the bookkeeping.
  static uint64_t entry_cost(const std::string& key, const std::string& value);

  uint64_t bytes() const;
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> value;
    TimePoint expires;
    uint64_t cost = 0;
  };
  using Order = std::list<Entry>;  // most recently used first

  void remove_locked(Order::iterator it);

  const uint64_t max_bytes_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  Order order_;
  std::unordered_map<std::string_view, Order::iterator> index_;  // views into order_'s keys
  uint64_t bytes_ = 0;
};

}  // namespace hearth::cache
