// Cache entries: what is written is read back; corrupt, foreign and truncated bytes are not.

#include "hearth/cache/cache_entry.hpp"

#include <gtest/gtest.h>

namespace hearth::cache {
namespace {

const char* const kBody =
    R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
const char* const kKey = "hearth:v1:app:a:0123";

TEST(CacheEntry, RoundTrip) {
  auto body = decode_entry(encode_entry(kKey, kBody), kKey);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, Json::parse(kBody));
}

TEST(CacheEntry, BadBytesAreRefused) {
  const std::string good = encode_entry(kKey, kBody);
  const std::pair<const char*, std::string> cases[] = {
      {"another key", encode_entry("hearth:v1:app:b:0123", kBody)},
      {"a key that only starts the same", encode_entry("hearth:v1:app:a:01234", kBody)},
      {"truncated", good.substr(0, good.size() - 5)},
      {"padded", good + " "},
      {"another version", "hearth-cache 2 " + good.substr(15)},
      {"not ours at all", "hello"},
      {"empty", ""},
      {"not JSON", encode_entry(kKey, "{not json")},
      {"an error body", encode_entry(kKey, R"({"error":{"message":"x"}})")},
      {"an unfinished completion",
       encode_entry(kKey, R"({"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"h"},"finish_reason":null}]})")},
      {"a content filter stop",
       encode_entry(kKey, R"({"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"h"},"finish_reason":"content_filter"}]})")},
  };
  for (const auto& [name, bytes] : cases) EXPECT_FALSE(decode_entry(bytes, kKey).ok()) << name;
}

}  // namespace
}  // namespace hearth::cache
