// The cache: section of hearth.yaml: defaults, every key, and errors that point at the text.

#include <map>

#include <gtest/gtest.h>

#include "hearth/app/config.hpp"

namespace hearth::app {
namespace {

EnvLookup env_with(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(CacheConfig, DefaultsToTheInProcessCache) {
  auto config = parse_config("", "c.yaml", env_with({}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->cache.backend, "memory");
  EXPECT_EQ(config->cache.options.ttl, Duration(24 * 3'600'000));
  EXPECT_EQ(config->cache.options.scope, cache::CacheScope::App);
  EXPECT_FALSE(config->cache.options.nondeterministic);
}

TEST(CacheConfig, EveryKey) {
  auto config = parse_config(R"(
cache:
  backend: redis
  ttl: 1h
  max_entry_bytes: 256KiB
  scope: shared
  nondeterministic: true
  memory: {max_bytes: 64MiB}
  redis:
    url: "redis://cache:inline@redis.internal:6380/2"
    password_env: REDIS_PASSWORD
    timeout_ms: 15
    pool_size: 4
    connect_timeout: 2s
    l1: {max_bytes: 8MiB, ttl: 30s}
)", "c.yaml", env_with({{"REDIS_PASSWORD", "from-env"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& cache = config->cache;
  EXPECT_EQ(cache.backend, "redis");
  EXPECT_EQ(cache.options.ttl, Duration(3'600'000));
  EXPECT_EQ(cache.options.max_entry_bytes, 256u * 1024);
  EXPECT_EQ(cache.options.scope, cache::CacheScope::Shared);
  EXPECT_TRUE(cache.options.nondeterministic);
  EXPECT_EQ(cache.memory_max_bytes, 64ull << 20);
  EXPECT_EQ(cache.redis.host, "redis.internal");
  EXPECT_EQ(cache.redis.port, 6380);
  EXPECT_EQ(cache.redis.db, 2);
  EXPECT_EQ(cache.redis.user, "cache");
  EXPECT_EQ(cache.redis.password, "from-env") << "password_env overrides the url";
  EXPECT_EQ(cache.timeout_ms, 15);
  EXPECT_EQ(cache.pool_size, 4);
  EXPECT_EQ(cache.connect_timeout, Duration(2000));
  EXPECT_EQ(cache.l1_max_bytes, 8ull << 20);
  EXPECT_EQ(cache.l1_ttl, Duration(30'000));
  for (const auto& warning : config->warnings) {
    EXPECT_EQ(warning.find("cache"), std::string::npos) << "the cache is served: " << warning;
  }
}

TEST(CacheConfig, AnUnsetPasswordVariableIsAWarningNotAnError) {
  auto config = parse_config("cache: {backend: redis, redis: {url: 'redis://127.0.0.1:6379', password_env: NOPE}}\n",
                             "c.yaml", env_with({}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  bool warned = false;
  for (const auto& warning : config->warnings) warned = warned || warning.find("NOPE") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(CacheConfig, ErrorsPointAtTheText) {
  struct Case {
    const char* text;
    const char* where;
    const char* says;
  };
  const Case cases[] = {
      {"cache:\n  scope: team\n", "c.yaml:2:10", "cache.scope must be app or shared"},
      {"cache:\n  redis: {url: 'http://x'}\n", "c.yaml:2:16", "redis url"},
      {"cache:\n  redis: {url: 'rediss://x'}\n", "c.yaml:2:16", "TLS"},
      {"cache:\n  redis: {pool_size: 0}\n", "c.yaml:2:22", "pool_size"},
      {"cache:\n  ttl: 0s\n", "c.yaml:2:8", "cache.ttl must be positive"},
      {"cache:\n  redis: {colour: red}\n", "c.yaml:2:11", "colour"},
      {"cache:\n  memory: {max_bytes: lots}\n", "c.yaml:2:23", "max_bytes"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.text, "c.yaml", env_with({}));
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.error().message.rfind(c.where, 0), 0u) << config.error().message;
    EXPECT_NE(config.error().message.find(c.says), std::string::npos) << config.error().message;
  }
}

}  // namespace
}  // namespace hearth::app
