// The whole gateway with the Redis backend against a real redis-server and a fake upstream:
// headers, replayed content equal to the original, scopes, and requests that keep
// succeeding while Redis is killed, restarted or slow. Skipped without redis-server.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "cache_test_support.hpp"
#include "fakes/fake_upstream.hpp"
#include "fakes/redis_server.hpp"
#include "hearth/app/gateway_app.hpp"

namespace hearth::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeBehavior;
using testing::FakeUpstream;
using testing::RedisServer;
using namespace cache_test;

class CacheRedisFullStackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed at " << RedisServer::binary();
    redis_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(redis_->running());
  }

  void start(const std::string& extra = "") {
    const std::string section = "cache:\n  backend: redis\n  redis: {url: '" + redis_->url() +
                                "', timeout_ms: " + std::to_string(kTimeoutMs) + ", pool_size: 2" + extra + "}\n";
    auto config = parse_config(gateway_config(upstream_.base_url(), section), "test.yaml", test_env());
    ASSERT_TRUE(config.ok()) << config.error().message;
    app_ = std::make_unique<GatewayApp>(std::move(*config), log_, access_log_);
    ASSERT_TRUE(app_->start().ok());
    ASSERT_TRUE(connected(4)) << "two workers, two connections each";
  }

  bool connected(double connections) {
    for (int i = 0; i < 1000; ++i) {
      if (app_->metrics().value("hearth_cache_redis_connections", {}) == connections) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  testing::HttpReply post(const std::string& body, const std::string& key = "sk-billing",
                          const std::map<std::string, std::string>& headers = {}) {
    return post_chat(app_->port(), body, key, headers);
  }

  static constexpr int kTimeoutMs = 50;
  FakeUpstream upstream_;
  std::unique_ptr<RedisServer> redis_;
  Logger log_{nullptr};
  Logger access_log_{nullptr};
  std::unique_ptr<GatewayApp> app_;
};

TEST_F(CacheRedisFullStackTest, HitMissStoredAndScopes) {
  start();
  auto miss = post(kDeterministic);
  ASSERT_EQ(miss.status, 200) << miss.body;
  EXPECT_EQ(miss.header("x-hearth-cache"), "stored");
  // The write is in the background: wait for Redis to have it.
  for (int i = 0; i < 200 && redis_->command({"DBSIZE"}) != "1"; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(redis_->command({"DBSIZE"}), "1");
  const std::string key = redis_->command({"KEYS", "hearth:v1:app:billing:*"});
  EXPECT_EQ(key.size(), std::string("hearth:v1:app:billing:").size() + 64) << key;

  auto hit = post(kDeterministic);
  EXPECT_EQ(hit.header("x-hearth-cache"), "hit");
  EXPECT_EQ(hit.header("x-hearth-route"), "cache");
  auto original = nlohmann::json::parse(miss.body);
  auto replayed = nlohmann::json::parse(hit.body);
  EXPECT_EQ(replayed["choices"], original["choices"]);
  EXPECT_EQ(replayed["usage"], original["usage"]);
  EXPECT_NE(replayed["id"], original["id"]);

  EXPECT_EQ(post(kDeterministic, "sk-support").header("x-hearth-cache"), "stored") << "scopes are apart";
  EXPECT_EQ(upstream_.request_count(), 2u);
}

TEST_F(CacheRedisFullStackTest, StreamingReplayThroughRedis) {
  upstream_.set_default(FakeBehavior::stream(6));
  start();
  auto miss = post(kDeterministicStreamUsage);
  ASSERT_EQ(miss.header("x-hearth-cache"), "miss");
  for (int i = 0; i < 200 && redis_->command({"DBSIZE"}) != "1"; ++i) std::this_thread::sleep_for(10ms);
  auto hit = post(kDeterministicStreamUsage);
  ASSERT_EQ(hit.header("x-hearth-cache"), "hit") << hit.body;
  auto original = parse_sse(miss.body);
  auto replayed = parse_sse(hit.body);
  EXPECT_TRUE(replayed.done);
  EXPECT_EQ(replayed.text, original.text);
  EXPECT_EQ(replayed.finish_reason, original.finish_reason);
  EXPECT_EQ(replayed.usage, original.usage);
}

TEST_F(CacheRedisFullStackTest, RequestsKeepSucceedingWhileRedisIsDownAndTheCacheComesBack) {
  start();
  ASSERT_EQ(post(kDeterministic).header("x-hearth-cache"), "stored");

  redis_->kill();
  for (int i = 0; i < 10; ++i) {
    auto reply = post(kDeterministic);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.header("x-hearth-route"), "upstream:primary");
    EXPECT_EQ(reply.header("x-hearth-cache"), "bypass");
  }
  auto ready = testing::http_request(app_->port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << "the cache never makes hearth unready";
  EXPECT_NE(ready.body.find("unavailable (bypassed)"), std::string::npos) << ready.body;

  ASSERT_TRUE(redis_->start());
  ASSERT_TRUE(connected(4)) << "reconnected in the background";
  // A lookup may still miss its 50 ms on a busy machine (a bypass, as it should be): the cache
  // is back once one gets through, and it is empty after the restart.
  std::string cache = "bypass";
  for (int i = 0; i < 20 && cache == "bypass"; ++i) cache = post(kDeterministic).header("x-hearth-cache");
  EXPECT_EQ(cache, "stored") << "empty after the restart";
  for (int i = 0; i < 200 && redis_->command({"DBSIZE"}) != "1"; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "hit");
}

TEST_F(CacheRedisFullStackTest, SlowRedisDoesNotDelayRequestsBeyondTheTimeout) {
  start();
  // A baseline: the same path, answered by the upstream.
  const auto base_start = std::chrono::steady_clock::now();
  ASSERT_EQ(post(kSampled).status, 200);
  const auto baseline = std::chrono::steady_clock::now() - base_start;

  std::thread sleeper([&] { redis_->command({"DEBUG", "SLEEP", "3"}, 10s); });
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < 4; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto reply = post(kDeterministic);
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(reply.header("x-hearth-cache"), "bypass");
    EXPECT_LT(took, baseline + std::chrono::milliseconds(kTimeoutMs) + 500ms) << "request " << i;
  }
  sleeper.join();
}

TEST_F(CacheRedisFullStackTest, ACorruptEntryIsReplacedByAFreshAnswer) {
  start();
  ASSERT_EQ(post(kDeterministic).header("x-hearth-cache"), "stored");
  for (int i = 0; i < 200 && redis_->command({"DBSIZE"}) != "1"; ++i) std::this_thread::sleep_for(10ms);
  const std::string key = redis_->command({"KEYS", "hearth:v1:*"});
  ASSERT_EQ(redis_->command({"SET", key, "{\"not\":\"ours\"}"}), "OK");
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "stored");
  EXPECT_TRUE(metric_reaches(app_->metrics(), "hearth_cache_errors_total", {{"kind", "corrupt_entry"}}, 1));
  for (int i = 0; i < 200 && redis_->command({"GET", key}).rfind("hearth-cache 1 ", 0) != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "hit");
}

TEST_F(CacheRedisFullStackTest, WithAnL1) {
  start(", l1: {max_bytes: 1MiB, ttl: 60s}");
  ASSERT_EQ(post(kDeterministic).header("x-hearth-cache"), "stored");
  redis_->kill();
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "hit") << "the L1 answers while Redis is down";
}

}  // namespace
}  // namespace hearth::app
