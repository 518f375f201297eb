// RedisCache against a real redis-server (started by the fixture on a free port, persistence
// off): store, hit, miss, TTL, AUTH and SELECT, pipelining, and the faults it must survive —
// Redis killed and restarted, Redis slow (DEBUG SLEEP), Redis refusing writes (OOM,
// READONLY), foreign entries, a name that does not resolve. Skipped without redis-server.

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"
#include "fakes/redis_server.hpp"
#include "hearth/cache/redis_cache.hpp"
#include "hearth/cache/tiered_cache.hpp"

namespace hearth::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::RedisServer;
using Outcome = CacheLookup::Outcome;

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed at " << RedisServer::binary();
  }

  std::unique_ptr<RedisCache> make_cache(const std::string& url, Duration timeout = Duration(50), int pool = 2) {
    RedisCacheConfig config;
    auto endpoint = parse_redis_url(url);
    EXPECT_TRUE(endpoint.ok()) << url;
    if (endpoint.ok()) config.endpoint = *endpoint;
    config.timeout = timeout;
    config.pool_size = pool;
    config.reconnect_min = Duration(20);
    config.reconnect_max = Duration(200);
    auto cache = std::make_unique<RedisCache>(io_.get_executor(), config, metrics_);
    cache->start();
    return cache;
  }

  // Runs the io_context until `done` holds; false after `limit`.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      io_.run_one_for(5ms);
    }
    return true;
  }

  bool ready(RedisCache& cache, int connections) {
    return run_until([&] { return cache.ready_connections() == connections; });
  }

  CacheLookup lookup(ResponseCache& cache, const std::string& key) {
    std::optional<CacheLookup> result;
    asio::co_spawn(io_, cache.lookup(key), [&](std::exception_ptr error, CacheLookup found) {
      if (error) std::rethrow_exception(error);
      result = std::move(found);
    });
    EXPECT_TRUE(run_until([&] { return result.has_value(); })) << "the lookup never finished";
    return result.value_or(CacheLookup{Outcome::Unavailable, nullptr});
  }

  // Stores and waits until Redis has it.
  bool store(ResponseCache& cache, RedisServer& server, const std::string& key, const std::string& value,
             Duration ttl = Duration(60'000)) {
    cache.store(key, value, ttl);
    return run_until([&] { return server.command({"GET", key}) == value; }, 5s);
  }

  double errors(std::string_view kind) { return registry_.value("hearth_cache_errors_total", {{"kind", std::string(kind)}}); }

  asio::io_context io_;
  MetricsRegistry registry_;
  Logger log_{nullptr};
  CacheMetrics metrics_{registry_, log_};
};

TEST_F(RedisCacheTest, StoreHitMiss) {
  RedisServer server;
  ASSERT_TRUE(server.running());
  auto cache = make_cache(server.url());
  ASSERT_TRUE(ready(*cache, 2));
  EXPECT_EQ(metrics_.connections(), 2);
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Miss);
  ASSERT_TRUE(store(*cache, server, "k", std::string("binary\0value\r\n", 14)));
  auto found = lookup(*cache, "k");
  ASSERT_EQ(found.outcome, Outcome::Hit);
  EXPECT_EQ(*found.value, std::string("binary\0value\r\n", 14)) << "values are binary-safe";
  const long pttl = std::stol(server.command({"PTTL", "k"}));
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 60'000);
}

TEST_F(RedisCacheTest, EntriesExpire) {
  RedisServer server;
  auto cache = make_cache(server.url());
  ASSERT_TRUE(ready(*cache, 2));
  ASSERT_TRUE(store(*cache, server, "short", "v", Duration(300)));
  EXPECT_LE(std::stol(server.command({"PTTL", "short"})), 300);
  EXPECT_TRUE(run_until([&] { return lookup(*cache, "short").outcome == Outcome::Miss; }, 5s));
}

TEST_F(RedisCacheTest, ManyLookupsPipelinedAtOnce) {
  RedisServer server;
  auto cache = make_cache(server.url(), Duration(2000));
  ASSERT_TRUE(ready(*cache, 2));
  for (int i = 0; i < 50; ++i) cache->store("k" + std::to_string(i), "v" + std::to_string(i), Duration(60'000));
  ASSERT_TRUE(run_until([&] { return server.command({"DBSIZE"}) == "50"; }));
  std::vector<std::string> keys;
  for (int i = 0; i < 400; ++i) keys.push_back("k" + std::to_string(i % 50));
  std::vector<std::optional<CacheLookup>> results(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    asio::co_spawn(io_, cache->lookup(keys[i]), [&results, i](std::exception_ptr, CacheLookup found) {
      results[i] = std::move(found);
    });
  }
  ASSERT_TRUE(run_until([&] {
    for (auto& result : results) {
      if (!result) return false;
    }
    return true;
  }));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(results[i]->outcome, Outcome::Hit) << i;
    EXPECT_EQ(*results[i]->value, "v" + std::to_string(i % 50)) << "each reply reaches its own lookup";
  }
}

TEST_F(RedisCacheTest, AuthAndDatabase) {
  RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.running());
  auto cache = make_cache("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3");
  ASSERT_TRUE(ready(*cache, 2));
  cache->store("k", "v", Duration(60'000));
  ASSERT_TRUE(run_until([&] {
    return server.command({"INFO", "keyspace"}, 5s, "s3cret").find("db3:keys=1") != std::string::npos;
  }));
  EXPECT_EQ(server.command({"EXISTS", "k"}, 5s, "s3cret"), "0") << "not in db 0";
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Hit);

  // A wrong password: never ready, every lookup bypassed at once.
  auto wrong = make_cache("redis://:wrong@127.0.0.1:" + std::to_string(server.port()) + "/0");
  ASSERT_TRUE(run_until([&] { return errors("redis_unavailable") >= 1; }));
  EXPECT_EQ(wrong->ready_connections(), 0);
  EXPECT_EQ(lookup(*wrong, "k").outcome, Outcome::Unavailable);
}

TEST_F(RedisCacheTest, KilledMidRunThenBackAfterRestart) {
  RedisServer server;
  auto cache = make_cache(server.url());
  ASSERT_TRUE(ready(*cache, 2));
  ASSERT_TRUE(store(*cache, server, "k", "v"));
  ASSERT_EQ(lookup(*cache, "k").outcome, Outcome::Hit);

  // Killed: lookups answer Unavailable (never hang), connections drop.
  server.kill();
  for (int i = 0; i < 5; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_NE(lookup(*cache, "k").outcome, Outcome::Hit);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 50ms + 500ms);
  }
  ASSERT_TRUE(ready(*cache, 0));
  EXPECT_EQ(metrics_.connections(), 0);
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Unavailable);
  EXPECT_GE(errors("redis_unavailable"), 1);

  // Restarted (empty: persistence is off): the connections come back by themselves.
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(ready(*cache, 2)) << "reconnected in the background";
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Miss);
  ASSERT_TRUE(store(*cache, server, "k", "v2"));
  auto found = lookup(*cache, "k");
  ASSERT_EQ(found.outcome, Outcome::Hit);
  EXPECT_EQ(*found.value, "v2");
}

TEST_F(RedisCacheTest, SlowRedisCostsAtMostTheTimeout) {
  RedisServer server;
  const Duration timeout(50);
  auto cache = make_cache(server.url(), timeout);
  ASSERT_TRUE(ready(*cache, 2));
  ASSERT_TRUE(store(*cache, server, "k", "v"));

  // Another client makes Redis sleep (the server answers nobody meanwhile).
  std::thread sleeper([&] { server.command({"DEBUG", "SLEEP", "2"}, 10s); });
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < 6; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - started, timeout + 500ms) << "lookup " << i;
  }
  EXPECT_GE(errors("lookup_timeout"), 1);
  sleeper.join();

  // Awake again: hits.
  EXPECT_TRUE(run_until([&] { return lookup(*cache, "k").outcome == Outcome::Hit; }));
}

TEST_F(RedisCacheTest, RefusedWritesAreCountedAndReadsGoOn) {
  RedisServer server;
  auto cache = make_cache(server.url());
  ASSERT_TRUE(ready(*cache, 2));
  ASSERT_TRUE(store(*cache, server, "old", "v"));

  // OOM: maxmemory below what Redis already uses, no eviction.
  ASSERT_EQ(server.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}), "OK");
  ASSERT_EQ(server.command({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  cache->store("new", "v", Duration(60'000));
  ASSERT_TRUE(run_until([&] { return errors("store_refused") >= 1; }));
  EXPECT_EQ(lookup(*cache, "old").outcome, Outcome::Hit) << "reads still work";
  ASSERT_EQ(server.command({"CONFIG", "SET", "maxmemory", "0"}), "OK");

  // READONLY: a replica refuses writes.
  ASSERT_EQ(server.command({"REPLICAOF", "127.0.0.1", "1"}), "OK");
  cache->store("new", "v", Duration(60'000));
  ASSERT_TRUE(run_until([&] { return errors("store_refused") >= 2; }));
  EXPECT_EQ(lookup(*cache, "old").outcome, Outcome::Hit);
  EXPECT_TRUE(ready(*cache, 2)) << "the refused connection was dropped and came back (a failover path)";
  ASSERT_EQ(server.command({"REPLICAOF", "NO", "ONE"}), "OK");

  EXPECT_TRUE(store(*cache, server, "new", "v")) << "writes work again";
}

TEST_F(RedisCacheTest, AForeignEntryIsDeleted) {
  RedisServer server;
  auto cache = make_cache(server.url());
  ASSERT_TRUE(ready(*cache, 2));
  ASSERT_EQ(server.command({"RPUSH", "k", "x"}), "1");
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Miss);
  EXPECT_TRUE(run_until([&] { return server.command({"EXISTS", "k"}) == "0"; }));
  EXPECT_EQ(errors("foreign_entry"), 1);
}

TEST_F(RedisCacheTest, AnUnresolvableNameIsBypassed) {
  auto cache = make_cache("redis://no-such-host.invalid:6379/0");
  ASSERT_TRUE(run_until([&] { return errors("redis_unavailable") >= 1; }));
  EXPECT_EQ(lookup(*cache, "k").outcome, Outcome::Unavailable);
}

TEST_F(RedisCacheTest, TheL1ServesHotKeysWhileRedisIsDown) {
  RedisServer server;
  auto redis = make_cache(server.url());
  ASSERT_TRUE(ready(*redis, 2));
  testing::FakeClock clock;
  InMemoryCache l1(1 << 20, clock);
  TieredCache tiered(l1, Duration(10'000), *redis);
  ASSERT_TRUE(store(*redis, server, "k", "v"));
  ASSERT_EQ(lookup(tiered, "k").outcome, Outcome::Hit);  // from Redis, now in L1 too
  server.kill();
  ASSERT_TRUE(ready(*redis, 0));
  EXPECT_EQ(lookup(tiered, "k").outcome, Outcome::Hit) << "from L1";
  clock.advance(Duration(10'001));
  EXPECT_EQ(lookup(tiered, "k").outcome, Outcome::Unavailable) << "L1 expired, Redis down";
}

}  // namespace
}  // namespace hearth::cache
