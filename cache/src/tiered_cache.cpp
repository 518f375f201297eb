#include "hearth/cache/tiered_cache.hpp"

namespace hearth::cache {

TieredCache::TieredCache(InMemoryCache& l1, Duration l1_ttl, ResponseCache& l2)
    : l1_(l1), l1_ttl_(l1_ttl), l2_(l2) {}

Task<CacheLookup> TieredCache::lookup(const std::string& key) {
  if (auto value = l1_.get(key)) co_return CacheLookup{CacheLookup::Outcome::Hit, std::move(value)};
  CacheLookup found = co_await l2_.lookup(key);
  if (found.outcome == CacheLookup::Outcome::Hit) l1_.store(key, *found.value, l1_ttl_);
  co_return found;
}

void TieredCache::store(std::string key, std::string value, Duration ttl) {
  l1_.store(key, value, std::min(ttl, l1_ttl_));
  l2_.store(std::move(key), std::move(value), ttl);
}

void TieredCache::erase(std::string key) {
  l1_.erase(key);
  l2_.erase(std::move(key));
}

}  // namespace hearth::cache
