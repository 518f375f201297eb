#include "hearth/gateway/config.hpp"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

TEST(ParseListenAddress, Valid) {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);

  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);

  auto name = parse_listen_address("localhost:65535");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 65535);
}

TEST(ParseListenAddress, Invalid) {
  for (const char* text : {"", "8080", ":8080", "host:", "host:65536", "host:-1", "host:80x",
                           "::1:80", "[::1]", "[::1]80", "[]:80"}) {
    auto result = parse_listen_address(text);
    EXPECT_FALSE(result.ok()) << text;
  }
}

}  // namespace
}  // namespace hearth::gateway
