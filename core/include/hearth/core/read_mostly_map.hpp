#pragma once
// A map that many threads read and few write: a lookup that finds its key takes no lock and
// writes no shared memory, since it reads a published snapshot; a miss copies the snapshot
// under a lock, adds the key and publishes the copy. For the few keys a server records
// metrics under (paths, statuses, routes, upstreams), looked up on every request by every I/O
// thread, which a mutex made them share and, at times, wait for. Snapshots live as long as
// the map (a reader may still hold one): it suits small, bounded sets of keys.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace hearth {

template <class Key, class Value>
class ReadMostlyMap {
 public:
  ReadMostlyMap() { current_.store(snapshots_.emplace_back(std::make_unique<Map>()).get()); }
  ReadMostlyMap(const ReadMostlyMap&) = delete;
  ReadMostlyMap& operator=(const ReadMostlyMap&) = delete;

  // The value under `key` (any type std::less<> compares with Key); on a miss, make() gives
  // the (Key, Value) pair to add. The reference stays valid as long as the map.
  template <class K, class Make>
  const Value& find_or_add(const K& key, Make&& make) {
    if (const Value* found = find(*current_.load(std::memory_order_acquire), key)) return *found;
    std::lock_guard lock(mutex_);
    const Map& latest = *current_.load(std::memory_order_relaxed);
    if (const Value* found = find(latest, key)) return *found;
    auto next = std::make_unique<Map>(latest);
    const Value& added = next->emplace(std::forward<Make>(make)()).first->second;
    current_.store(next.get(), std::memory_order_release);
    snapshots_.push_back(std::move(next));
    return added;
  }

 private:
  using Map = std::map<Key, Value, std::less<>>;

  template <class K>
  static const Value* find(const Map& map, const K& key) {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  }

  std::mutex mutex_;                             // writers
  std::vector<std::unique_ptr<Map>> snapshots_;  // every one published, the latest last
  std::atomic<const Map*> current_{nullptr};
};

}  // namespace hearth
