// Redis URLs, and that describing an endpoint never shows its credentials.

#include "hearth/cache/redis_url.hpp"

#include <gtest/gtest.h>

namespace hearth::cache {
namespace {

TEST(RedisUrl, Forms) {
  auto plain = parse_redis_url("redis://127.0.0.1:6379/0");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());

  auto full = parse_redis_url("redis://cache-user:p%40ss%3Aword@redis.internal:6380/3");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->user, "cache-user");
  EXPECT_EQ(full->password, "p@ss:word");
  EXPECT_EQ(full->host, "redis.internal");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 3);
  EXPECT_EQ(full->describe(), "redis.internal:6380/3");

  auto password_only = parse_redis_url("redis://:secret@localhost");
  ASSERT_TRUE(password_only.ok());
  EXPECT_TRUE(password_only->user.empty());
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(password_only->port, 6379);

  auto v6 = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->describe(), "[::1]:7000/0");

  auto unix_socket = parse_redis_url("unix:///run/redis/redis.sock?db=2");
  ASSERT_TRUE(unix_socket.ok());
  EXPECT_EQ(unix_socket->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(unix_socket->db, 2);
}

TEST(RedisUrl, Refusals) {
  for (const char* url : {"http://localhost:6379", "rediss://localhost:6380", "redis://", "redis://:6379",
                          "redis://host:0", "redis://host:99999", "redis://host:port", "redis://host/x",
                          "redis://secret@host", "redis://:%zz@host", "redis://[::1", "unix://relative.sock",
                          "redis://host:"}) {
    EXPECT_FALSE(parse_redis_url(url).ok()) << url;
  }
}

}  // namespace
}  // namespace hearth::cache
