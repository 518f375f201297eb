#include "hearth/cache/in_memory_cache.hpp"

namespace hearth::cache {
namespace {
// What an entry costs besides its bytes: the list node, the index slot, the shared string.
constexpr uint64_t kEntryOverhead = 160;
}  // namespace

InMemoryCache::InMemoryCache(uint64_t max_bytes, const Clock& clock)
    : max_bytes_(max_bytes), clock_(clock) {}

uint64_t InMemoryCache::entry_cost(const std::string& key, const std::string& value) {
  return key.size() + value.size() + kEntryOverhead;
}

void InMemoryCache::remove_locked(Order::iterator it) {
  bytes_ -= it->cost;
  index_.erase(it->key);
  order_.erase(it);
}

std::shared_ptr<const std::string> InMemoryCache::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  auto it = found->second;
  if (clock_.now() >= it->expires) {
    remove_locked(it);
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it);  // most recently used
  return it->value;
}

Task<CacheLookup> InMemoryCache::lookup(const std::string& key) {
  auto value = get(key);
  if (!value) co_return CacheLookup{CacheLookup::Outcome::Miss, nullptr};
  co_return CacheLookup{CacheLookup::Outcome::Hit, std::move(value)};
}

void InMemoryCache::store(std::string key, std::string value, Duration ttl) {
  const uint64_t cost = entry_cost(key, value);
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) remove_locked(found->second);
  if (cost > max_bytes_ || ttl <= Duration::zero()) return;

  // Make room: the least recently used go first (an expired entry goes when it is next
  // looked up or reaches the end of the line).
  const TimePoint now = clock_.now();
  while (bytes_ + cost > max_bytes_ && !order_.empty()) remove_locked(std::prev(order_.end()));

  order_.push_front(Entry{std::move(key), std::move(shared), now + ttl, cost});
  index_.emplace(order_.front().key, order_.begin());
  bytes_ += cost;
}

void InMemoryCache::erase(std::string key) {
  std::lock_guard lock(mutex_);
  if (auto found = index_.find(key); found != index_.end()) remove_locked(found->second);
}

uint64_t InMemoryCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

size_t InMemoryCache::size() const {
  std::lock_guard lock(mutex_);
  return order_.size();
}

}  // namespace hearth::cache
