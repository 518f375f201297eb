// InMemoryCache: bounded by bytes, least recently used first out, TTL on an injected clock.

#include "hearth/cache/in_memory_cache.hpp"

#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"

namespace hearth::cache {
namespace {

using testing::FakeClock;

std::string value_of(InMemoryCache& cache, const std::string& key) {
  auto value = cache.get(key);
  return value ? *value : std::string("<miss>");
}

const Duration kHour{3'600'000};

TEST(InMemoryCache, StoresAndReturns) {
  FakeClock clock;
  InMemoryCache cache(1 << 20, clock);
  EXPECT_EQ(value_of(cache, "k"), "<miss>");
  cache.store("k", "v", kHour);
  EXPECT_EQ(value_of(cache, "k"), "v");
  cache.store("k", "w", kHour);
  EXPECT_EQ(value_of(cache, "k"), "w") << "a store replaces";
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), InMemoryCache::entry_cost("k", "w"));
  cache.erase("k");
  EXPECT_EQ(value_of(cache, "k"), "<miss>");
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(InMemoryCache, EntriesExpireAfterTheirTtl) {
  FakeClock clock;
  InMemoryCache cache(1 << 20, clock);
  cache.store("short", "a", Duration(1000));
  cache.store("long", "b", Duration(5000));
  clock.advance(Duration(999));
  EXPECT_EQ(value_of(cache, "short"), "a");
  clock.advance(Duration(1));
  EXPECT_EQ(value_of(cache, "short"), "<miss>") << "expired at exactly its TTL";
  EXPECT_EQ(value_of(cache, "long"), "b");
  clock.advance(Duration(4000));
  EXPECT_EQ(value_of(cache, "long"), "<miss>");
  EXPECT_EQ(cache.size(), 0u) << "expired entries are dropped when looked up";
}

TEST(InMemoryCache, EvictsTheLeastRecentlyUsedToStayWithinItsBytes) {
  FakeClock clock;
  const std::string value(100, 'x');
  const uint64_t cost = InMemoryCache::entry_cost("k1", value);
  InMemoryCache cache(3 * cost, clock);  // room for three
  cache.store("k1", value, kHour);
  cache.store("k2", value, kHour);
  cache.store("k3", value, kHour);
  ASSERT_EQ(cache.size(), 3u);
  EXPECT_NE(cache.get("k1"), nullptr);  // k1 is now the most recently used
  cache.store("k4", value, kHour);      // evicts k2, the least recently used
  EXPECT_EQ(value_of(cache, "k2"), "<miss>");
  EXPECT_EQ(value_of(cache, "k1"), value);
  EXPECT_EQ(value_of(cache, "k3"), value);
  EXPECT_EQ(value_of(cache, "k4"), value);
  EXPECT_LE(cache.bytes(), 3 * cost);

  // A big entry pushes out as many as it needs.
  const std::string big(2 * 100 + 160, 'y');
  cache.store("k5", big, kHour);
  EXPECT_LE(cache.bytes(), 3 * cost);
  EXPECT_EQ(value_of(cache, "k5"), big);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(InMemoryCache, RefusesAnEntryLargerThanTheWholeCache) {
  FakeClock clock;
  InMemoryCache cache(1000, clock);
  cache.store("small", "v", kHour);
  cache.store("huge", std::string(2000, 'x'), kHour);
  EXPECT_EQ(value_of(cache, "huge"), "<miss>");
  EXPECT_EQ(value_of(cache, "small"), "v") << "nothing was evicted for it";
}

TEST(InMemoryCache, AValueOutlivesItsEvictionForWhoeverHoldsIt) {
  FakeClock clock;
  InMemoryCache cache(1 << 20, clock);
  cache.store("k", "v", kHour);
  auto held = cache.get("k");
  cache.erase("k");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, "v");
}

}  // namespace
}  // namespace hearth::cache
