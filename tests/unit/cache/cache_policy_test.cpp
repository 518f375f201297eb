// What may be cached: request plans (Cache-Control, determinism) and response checks.

#include "hearth/cache/cache_policy.hpp"

#include <gtest/gtest.h>

namespace hearth::cache {
namespace {

ChatRequest request_of(const std::string& body, bool no_store = false, bool no_cache = false) {
  ChatRequest request;
  request.body = Json::parse(body);
  request.cache.no_store = no_store;
  request.cache.no_cache = no_cache;
  return request;
}

TEST(CachePolicy, Plans) {
  const CacheOptions deterministic_only;
  CacheOptions everything;
  everything.nondeterministic = true;
  struct Case {
    const char* name;
    std::string body;
    bool no_store, no_cache;
    const CacheOptions& options;
    bool read, write;
    std::string_view reason;
  };
  const std::string greedy = R"({"temperature":0})";
  const Case cases[] = {
      {"temperature 0", greedy, false, false, deterministic_only, true, true, ""},
      {"temperature 0.0", R"({"temperature":0.0})", false, false, deterministic_only, true, true, ""},
      {"a seed", R"({"temperature":0.9,"seed":42})", false, false, deterministic_only, true, true, ""},
      {"sampling", R"({"temperature":0.7})", false, false, deterministic_only, false, false, "nondeterministic"},
      {"the default temperature", R"({})", false, false, deterministic_only, false, false, "nondeterministic"},
      {"a null seed", R"({"seed":null})", false, false, deterministic_only, false, false, "nondeterministic"},
      {"sampling, switch on", R"({"temperature":0.7})", false, false, everything, true, true, ""},
      {"no-store", greedy, true, false, deterministic_only, true, false, ""},
      {"no-cache", greedy, false, true, deterministic_only, false, true, "no_cache"},
      {"both", greedy, true, true, deterministic_only, false, false, "no_store"},
  };
  for (const auto& c : cases) {
    auto plan = plan_request(request_of(c.body, c.no_store, c.no_cache), c.options);
    EXPECT_EQ(plan.read, c.read) << c.name;
    EXPECT_EQ(plan.write, c.write) << c.name;
    EXPECT_EQ(plan.bypass_reason, c.reason) << c.name;
  }
}

TEST(CachePolicy, CacheableCompletions) {
  auto chat = [](const std::string& finish) {
    return Json::parse(R"({"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":)" +
                       finish + "}]}");
  };
  EXPECT_TRUE(is_cacheable_completion(chat(R"("stop")")));
  EXPECT_TRUE(is_cacheable_completion(chat(R"("length")")));
  EXPECT_TRUE(is_cacheable_completion(chat(R"("tool_calls")")));
  EXPECT_FALSE(is_cacheable_completion(chat(R"("content_filter")")));
  EXPECT_FALSE(is_cacheable_completion(chat("null")));
  EXPECT_FALSE(is_cacheable_completion(Json::parse(R"({"object":"chat.completion","choices":[]})")));
  EXPECT_FALSE(is_cacheable_completion(Json::parse(R"({"error":{"message":"x"}})")));
  EXPECT_FALSE(is_cacheable_completion(Json::parse(R"({"object":"list","data":[]})")));
  EXPECT_TRUE(is_cacheable_completion(
      Json::parse(R"({"object":"text_completion","choices":[{"index":0,"text":"x","finish_reason":"stop"}]})")));
  Json two = chat(R"("stop")");
  two["choices"].push_back(chat("null")["choices"][0]);
  EXPECT_FALSE(is_cacheable_completion(two)) << "every choice must have finished";
}

}  // namespace
}  // namespace hearth::cache
