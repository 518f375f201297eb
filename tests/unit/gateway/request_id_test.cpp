#include "hearth/gateway/request_id.hpp"

#include <set>

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

TEST(RequestId, Validity) {
  EXPECT_TRUE(is_valid_request_id("abc-123"));
  EXPECT_TRUE(is_valid_request_id(std::string(128, 'x')));
  EXPECT_TRUE(is_valid_request_id("~!@#$%^&*()_+{}|:<>?"));
  EXPECT_FALSE(is_valid_request_id(""));
  EXPECT_FALSE(is_valid_request_id(std::string(129, 'x')));
  EXPECT_FALSE(is_valid_request_id("has space"));
  EXPECT_FALSE(is_valid_request_id("new\nline"));
  EXPECT_FALSE(is_valid_request_id("cr\rlf"));
  EXPECT_FALSE(is_valid_request_id("tab\t"));
  EXPECT_FALSE(is_valid_request_id("del\x7f"));
  EXPECT_FALSE(is_valid_request_id("caf\xc3\xa9"));
}

TEST(RequestId, GeneratedIdsAre128BitHexAndDistinct) {
  RequestIdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = ids.next();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RequestId, SeededGeneratorsRepeat) {
  RequestIdGenerator a(7), b(7);
  EXPECT_EQ(a.next(), b.next());
}

TEST(RequestId, PickEchoesSaneIdsOnly) {
  RequestIdGenerator ids(1);
  EXPECT_EQ(ids.pick("client-id-1"), "client-id-1");
  auto replaced = ids.pick("evil\r\nset-cookie: x");
  EXPECT_EQ(replaced.size(), 32u);
  EXPECT_EQ(ids.pick("").size(), 32u);
  EXPECT_EQ(ids.pick(std::string(200, 'a')).size(), 32u);
}

}  // namespace
}  // namespace hearth::gateway
