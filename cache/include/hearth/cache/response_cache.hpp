#pragma once
// ResponseCache: where finished completions are kept, as opaque bytes under opaque keys
// (cache_key.hpp makes the keys, cache_entry.hpp the bytes). Implementations: InMemoryCache,
// RedisCache, TieredCache (an in-process L1 in front of Redis). Each says in its own header
// which threads may call it.

#include <memory>
#include <string>
#include <string_view>

#include "hearth/core/clock.hpp"
#include "hearth/core/completion_source.hpp"

namespace hearth::cache {

struct CacheLookup {
  enum class Outcome {
    Hit,
    Miss,
    Unavailable,  // the backend could not answer within its time limit: bypass the cache
  };
  Outcome outcome = Outcome::Miss;
  std::shared_ptr<const std::string> value;  // set on a hit
};

class ResponseCache {
 public:
  virtual ~ResponseCache() = default;

  // Looks `key` up (keep it alive until the lookup completes). Never fails the request: a slow or broken backend answers Unavailable
  // within its configured timeout, and the caller goes on without the cache.
  virtual Task<CacheLookup> lookup(const std::string& key) = 0;

  // Hands an entry over for `ttl`; returns at once. The write finishes in the background;
  // a failure is counted and logged by the implementation, never reported to the caller.
  virtual void store(std::string key, std::string value, Duration ttl) = 0;

  // Removes `key` (a corrupt or foreign entry); in the background like store().
  virtual void erase(std::string key) = 0;

  // "memory", "redis", "redis+l1": for logs and /readyz.
  virtual std::string_view name() const = 0;
};

}  // namespace hearth::cache
