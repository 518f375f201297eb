#pragma once
// TieredCache: an in-process L1 (shared by the workers) in front of a per-worker L2 (Redis).
// Lookups try L1 first; an L2 hit is copied into L1 for `l1_ttl`; stores and erases go to
// both. An L1 entry may outlive its L2 copy by up to `l1_ttl`. Same threading as its L2.

#include "hearth/cache/in_memory_cache.hpp"
#include "hearth/cache/response_cache.hpp"

namespace hearth::cache {

class TieredCache final : public ResponseCache {
 public:
  // Both must outlive this.
  TieredCache(InMemoryCache& l1, Duration l1_ttl, ResponseCache& l2);

  Task<CacheLookup> lookup(const std::string& key) override;
  void store(std::string key, std::string value, Duration ttl) override;
  void erase(std::string key) override;
  std::string_view name() const override { return "redis+l1"; }

 private:
  InMemoryCache& l1_;
  Duration l1_ttl_;
  ResponseCache& l2_;
};

}  // namespace hearth::cache
