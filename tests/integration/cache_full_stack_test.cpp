// The response cache through the whole gateway (GatewayApp → router → cache step → fake
// upstream) with the in-process backend: headers, replayed content equal to the original,
// Cache-Control, scopes, metrics. The Redis backend has its own tests (cache_redis_test.cpp).

#include <gtest/gtest.h>

#include "cache_test_support.hpp"
#include "fakes/fake_upstream.hpp"
#include "fakes/http_test_client.hpp"
#include "hearth/app/gateway_app.hpp"

namespace hearth::app {
namespace {

using testing::FakeBehavior;
using testing::FakeUpstream;
using namespace cache_test;

class CacheFullStackTest : public ::testing::Test {
 protected:
  void start(const std::string& cache_section) {
    auto config = parse_config(gateway_config(upstream_.base_url(), cache_section), "test.yaml", test_env());
    ASSERT_TRUE(config.ok()) << config.error().message;
    app_ = std::make_unique<GatewayApp>(std::move(*config), log_, access_log_);
    ASSERT_TRUE(app_->start().ok());
  }

  testing::HttpReply post(const std::string& body, const std::string& key = "sk-billing",
                          const std::map<std::string, std::string>& headers = {}) {
    return post_chat(app_->port(), body, key, headers);
  }

  FakeUpstream upstream_;
  Logger log_{nullptr};
  Logger access_log_{nullptr};
  std::unique_ptr<GatewayApp> app_;
};

TEST_F(CacheFullStackTest, MissStoredThenHitWithAFreshId) {
  start("cache: {backend: memory}\n");
  auto miss = post(kDeterministic);
  ASSERT_EQ(miss.status, 200) << miss.body;
  EXPECT_EQ(miss.header("x-hearth-cache"), "stored");
  EXPECT_EQ(miss.header("x-hearth-route"), "upstream:primary");

  auto hit = post(kDeterministic);
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(hit.header("x-hearth-cache"), "hit");
  EXPECT_EQ(hit.header("x-hearth-route"), "cache");
  EXPECT_EQ(upstream_.request_count(), 1u) << "a hit never reaches the upstream";
  auto original = nlohmann::json::parse(miss.body);
  auto replayed = nlohmann::json::parse(hit.body);
  EXPECT_NE(replayed["id"], original["id"]);
  replayed["id"] = original["id"];
  replayed["created"] = original["created"];
  EXPECT_EQ(replayed, original);
  EXPECT_TRUE(metric_reaches(app_->metrics(), "hearth_cache_hits_total", {}, 1));
}

TEST_F(CacheFullStackTest, StreamingMissThenStreamingHitIsTheSameStream) {
  upstream_.set_default(FakeBehavior::stream(5));
  start("cache: {backend: memory}\n");
  auto miss = post(kDeterministicStreamUsage);
  ASSERT_EQ(miss.status, 200) << miss.body;
  EXPECT_EQ(miss.header("x-hearth-cache"), "miss");
  auto hit = post(kDeterministicStreamUsage);
  ASSERT_EQ(hit.status, 200) << hit.body;
  EXPECT_EQ(hit.header("x-hearth-cache"), "hit");
  EXPECT_EQ(hit.header("x-hearth-route"), "cache");
  EXPECT_EQ(hit.header("content-type"), "text/event-stream");
  EXPECT_EQ(upstream_.request_count(), 1u);

  auto original = parse_sse(miss.body);
  auto replayed = parse_sse(hit.body);
  ASSERT_TRUE(original.done && replayed.done) << hit.body;
  EXPECT_EQ(replayed.text, original.text);
  EXPECT_FALSE(replayed.text.empty());
  EXPECT_EQ(replayed.finish_reason, original.finish_reason);
  EXPECT_EQ(replayed.usage, original.usage);
  EXPECT_FALSE(replayed.usage.is_null());
  EXPECT_EQ(replayed.role, "assistant");
}

TEST_F(CacheFullStackTest, ToolCallsReplayAsDeltas) {
  upstream_.set_default(FakeBehavior::answer_with_tools({testing::FakeToolCall{}}));
  start("cache: {backend: memory}\n");
  auto miss = post(kDeterministicStream);
  ASSERT_EQ(miss.status, 200);
  auto hit = post(kDeterministicStream);
  ASSERT_EQ(hit.header("x-hearth-cache"), "hit") << hit.body;
  auto original = parse_sse(miss.body);
  auto replayed = parse_sse(hit.body);
  EXPECT_EQ(replayed.finish_reason, "tool_calls");
  EXPECT_EQ(replayed.tool_calls, original.tool_calls);
  EXPECT_EQ(replayed.tool_calls, nlohmann::json::parse(R"([{"id":"call_fake_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}])"));
  EXPECT_TRUE(replayed.usage.is_null()) << "no usage chunk unless the client asks";
}

TEST_F(CacheFullStackTest, AStreamedMissServesAWholeHitAndBack) {
  upstream_.set_default(FakeBehavior::stream(4));
  start("cache: {backend: memory}\n");
  ASSERT_EQ(post(kDeterministicStream).header("x-hearth-cache"), "miss");
  auto whole = post(kDeterministic);
  EXPECT_EQ(whole.header("x-hearth-cache"), "hit") << "stream and whole requests share a key";
  auto body = nlohmann::json::parse(whole.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello from the fake upstream.");
  EXPECT_EQ(body["usage"]["total_tokens"], 18) << "the usage the cache asked the stream for";
  EXPECT_EQ(upstream_.request_count(), 1u);
}

TEST_F(CacheFullStackTest, CacheControlAndDeterminism) {
  start("cache: {backend: memory}\n");
  EXPECT_EQ(post(kDeterministic, "sk-billing", {{"cache-control", "no-store"}}).header("x-hearth-cache"), "miss");
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "stored");
  EXPECT_EQ(post(kDeterministic, "sk-billing", {{"cache-control", "no-cache"}}).header("x-hearth-cache"), "stored");
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "hit");
  EXPECT_EQ(upstream_.request_count(), 3u);
  EXPECT_EQ(post(kSampled).header("x-hearth-cache"), "bypass");
  EXPECT_EQ(post(kSampled).header("x-hearth-cache"), "bypass");
  EXPECT_EQ(upstream_.request_count(), 5u);
}

TEST_F(CacheFullStackTest, OneAppNeverSeesAnothersEntries) {
  start("cache: {backend: memory}\n");
  EXPECT_EQ(post(kDeterministic, "sk-billing").header("x-hearth-cache"), "stored");
  EXPECT_EQ(post(kDeterministic, "sk-support").header("x-hearth-cache"), "stored");
  EXPECT_EQ(post(kDeterministic, "sk-billing").header("x-hearth-cache"), "hit");
  EXPECT_EQ(post(kDeterministic, "sk-support").header("x-hearth-cache"), "hit");
  EXPECT_EQ(upstream_.request_count(), 2u);
}

TEST_F(CacheFullStackTest, SharedScope) {
  start("cache: {backend: memory, scope: shared}\n");
  EXPECT_EQ(post(kDeterministic, "sk-billing").header("x-hearth-cache"), "stored");
  EXPECT_EQ(post(kDeterministic, "sk-support").header("x-hearth-cache"), "hit");
}

TEST_F(CacheFullStackTest, ErrorsAndBrokenStreamsAreNotStored) {
  upstream_.enqueue(FakeBehavior::error(400, "bad request"));
  upstream_.enqueue(FakeBehavior::reset_mid_stream(2));
  start("cache: {backend: memory}\n");
  auto error = post(kDeterministic);
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.header("x-hearth-cache"), "miss") << "error responses carry the header too";
  auto broken = post(kDeterministicStream);
  EXPECT_NE(broken.body.find("event: error"), std::string::npos);
  EXPECT_EQ(post(kDeterministicStream).header("x-hearth-cache"), "miss") << "the broken stream was not kept";
}

TEST_F(CacheFullStackTest, OffMeansBypassOnEveryResponse) {
  start("cache: {backend: off}\n");
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "bypass");
  EXPECT_EQ(post(kDeterministic).header("x-hearth-cache"), "bypass");
  EXPECT_EQ(upstream_.request_count(), 2u);
}

TEST_F(CacheFullStackTest, MetricsAndReadiness) {
  start("cache: {backend: memory}\n");
  post(kDeterministic);
  post(kDeterministic);
  post(kSampled);
  auto metrics = testing::http_request(app_->port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("hearth_cache_hits_total 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("hearth_cache_misses_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("hearth_cache_stores_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("hearth_cache_bypasses_total{reason=\"nondeterministic\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("hearth_cache_lookup_seconds_bucket"), std::string::npos);
  auto ready = testing::http_request(app_->port(), "GET", "/readyz");
  EXPECT_NE(ready.body.find(R"("cache":{"backend":"memory"})"), std::string::npos) << ready.body;
}

}  // namespace
}  // namespace hearth::app
