// The canonical key: a table of requests that must share a key and of requests that must not.

#include "hearth/cache/cache_key.hpp"

#include <gtest/gtest.h>

namespace hearth::cache {
namespace {

constexpr const char* kRoute = "primary:model-a|backup:model-b";

ChatRequest request_of(const std::string& body, Endpoint endpoint = Endpoint::ChatCompletions) {
  ChatRequest request;
  request.endpoint = endpoint;
  const Json json = Json::parse(body);
  request.body = json;
  request.model = json.value("model", std::string());
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    if (json.contains(name) && json[name].is_number_integer()) {
      request.max_tokens = json[name].get<int64_t>();
    }
  }
  return request;
}

std::string key_of(const std::string& body, const std::string& route = kRoute,
                   const std::string& app = "billing") {
  auto canonical = canonical_request(request_of(body), route);
  EXPECT_TRUE(canonical.ok()) << body;
  RequestContext context{"r", app, "team", TimePoint::max(), {}, nullptr};
  return cache_key(scope_name(CacheScope::App, context), canonical.ok() ? *canonical : "");
}

struct Pair {
  const char* name;
  const char* a;
  const char* b;
};

const char* const kBase = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0})";

TEST(CacheKey, RequestsThatMustShareAKey) {
  const Pair cases[] = {
      {"key order", R"({"temperature":0,"messages":[{"content":"hi","role":"user"}],"model":"m"})", kBase},
      {"whitespace", "{ \"model\" : \"m\",\n \"messages\":[ {\"role\":\"user\",\"content\":\"hi\"} ],\t\"temperature\":0 }", kBase},
      {"1 vs 1.0", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.0})", kBase},
      {"1e0 vs 1", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_k":1e1})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_k":10})"},
      {"stream", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"stream":true})", kBase},
      {"stream_options", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"stream":true,"stream_options":{"include_usage":true}})", kBase},
      {"user", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"user":"u-42"})", kBase},
      {"metadata and store", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"metadata":{"a":"b"},"store":true})", kBase},
      {"null is absent", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"seed":null,"tools":null})", kBase},
      {"defaults are absent", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"n":1,"top_p":1.0,"presence_penalty":0,"frequency_penalty":0.0,"logprobs":false})", kBase},
      {"max_tokens is max_completion_tokens", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":50})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_completion_tokens":50})"},
      {"unicode escapes", R"({"model":"m","messages":[{"role":"user","content":"caf\u00e9"}],"temperature":0})",
       "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\xc3\xa9\"}],\"temperature\":0}"},
      {"nested numbers", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"n":{"type":"integer","minimum":1.0}}}}}]})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"n":{"type":"integer","minimum":1}}}}}]})"},
      {"the public model name (same route)", R"({"model":"alias","messages":[{"role":"user","content":"hi"}],"temperature":0})", kBase},
  };
  for (const auto& c : cases) EXPECT_EQ(key_of(c.a), key_of(c.b)) << c.name;
}

TEST(CacheKey, RequestsThatMustNotShareAKey) {
  const Pair cases[] = {
      {"content", R"({"model":"m","messages":[{"role":"user","content":"hi!"}],"temperature":0})", kBase},
      {"role", R"({"model":"m","messages":[{"role":"system","content":"hi"}],"temperature":0})", kBase},
      {"another message", R"({"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"temperature":0})", kBase},
      {"message order", R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}],"temperature":0})",
       R"({"model":"m","messages":[{"role":"user","content":"b"},{"role":"user","content":"a"}],"temperature":0})"},
      {"temperature", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.2})", kBase},
      {"top_p", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_p":0.5})", kBase},
      {"max_tokens", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":5})", kBase},
      {"stop", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"stop":["\n"]})", kBase},
      {"seed", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"seed":1})", kBase},
      {"n", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"n":2})", kBase},
      {"penalty", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"presence_penalty":0.5})", kBase},
      {"logit_bias", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"logit_bias":{"50256":-100}})", kBase},
      {"tools", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"tools":[{"type":"function","function":{"name":"f"}}]})", kBase},
      {"tool_choice", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"tool_choice":"required"})", kBase},
      {"response_format", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"response_format":{"type":"json_object"}})", kBase},
      {"a number in a string is a string", R"({"model":"m","messages":[{"role":"user","content":"1.0"}],"temperature":0})",
       R"({"model":"m","messages":[{"role":"user","content":"1"}],"temperature":0})"},
      {"a fraction is not rounded", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_p":0.9999999})",
       R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_p":0.9999998})"},
      {"an unknown field", R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"reasoning_effort":"high"})", kBase},
  };
  for (const auto& c : cases) EXPECT_NE(key_of(c.a), key_of(c.b)) << c.name;
}

TEST(CacheKey, TheResolvedRouteTheEndpointAndTheScopeSeparateKeys) {
  EXPECT_NE(key_of(kBase, "primary:model-a"), key_of(kBase, "primary:model-b"));
  EXPECT_NE(key_of(kBase, kRoute, "billing"), key_of(kBase, kRoute, "support"));

  const char* prompt = R"({"model":"m","prompt":"hi","temperature":0})";
  auto completions = canonical_request(request_of(prompt, Endpoint::Completions), kRoute);
  auto chat = canonical_request(request_of(prompt, Endpoint::ChatCompletions), kRoute);
  ASSERT_TRUE(completions.ok() && chat.ok());
  EXPECT_NE(*completions, *chat);

  RequestContext billing{"r", "billing", "t", TimePoint::max(), {}, nullptr};
  RequestContext support{"r", "support", "t", TimePoint::max(), {}, nullptr};
  EXPECT_EQ(scope_name(CacheScope::Shared, billing), scope_name(CacheScope::Shared, support));
  EXPECT_NE(scope_name(CacheScope::App, billing), scope_name(CacheScope::App, support));
  EXPECT_NE(scope_name(CacheScope::App, billing), scope_name(CacheScope::Shared, billing));
}

TEST(CacheKey, KeyShape) {
  const std::string key = cache_key("app:billing", "x");
  EXPECT_EQ(key.rfind("hearth:v1:app:billing:", 0), 0u) << key;
  EXPECT_EQ(key.size(), std::string("hearth:v1:app:billing:").size() + 64);
  // SHA-256("abc"), FIPS 180-2.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CacheKey, ABodyThatIsNotAnObjectIsNotCached) {
  ChatRequest request;
  request.body = Json::array();
  EXPECT_FALSE(canonical_request(request, kRoute).ok());
}

}  // namespace
}  // namespace hearth::cache
