// The router's cache step: asked before any candidate, a hit never calls an upstream, a
// miss is stored, a stream to store asks its upstream for usage.

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"
#include "fakes/recording_sink.hpp"
#include "hearth/cache/cache_step.hpp"
#include "hearth/cache/in_memory_cache.hpp"
#include "hearth/router/router.hpp"

namespace hearth::router {
namespace {

Json finished_body() {
  return Json::parse(R"({"id":"x","object":"chat.completion","created":1,"model":"model-a",
      "choices":[{"index":0,"message":{"role":"assistant","content":"four"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})");
}
std::vector<Json> finished_stream() {
  return {Json::parse(R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"four"}}]})"),
          Json::parse(R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"),
          Json::parse(R"({"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}})")};
}

// Answers every request with a finished completion (or stream), and counts the calls.
class CountingSource final : public CompletionSource {
 public:
  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override {
    ++calls;
    saw_include_usage = wants_usage(request, context);
    if (!request.stream) {
      const Completion completion{finished_body()};
      co_return co_await sink.send_completion(completion);
    }
    for (Json& data : finished_stream()) {
      const CompletionChunk chunk{std::move(data)};
      Status sent = co_await sink.send_chunk(chunk);
      if (!sent) co_return sent;
    }
    co_return Status{};
  }
  int calls = 0;
  bool saw_include_usage = false;
};

class RouterCacheTest : public ::testing::Test {
 protected:
  RouterCacheTest()
      : table_({{"default", {{"primary", "model-a"}}}}),
        metrics_(registry_),
        memory_(1 << 20, clock_),
        cache_metrics_(registry_, log_),
        step_(memory_, cache::CacheOptions{}, cache_metrics_) {}

  Status run(Router& router, const std::string& body, testing::RecordingSink& sink) {
    ChatRequest request;
    const Json json = Json::parse(body);
    request.body = json;
    request.model = json["model"];
    request.stream = json.value("stream", false);
    RequestContext context{"r", "app", "team", TimePoint::max(), {}, nullptr};
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, router.complete(request, context, sink), boost::asio::use_future);
    io.run();
    return future.get();
  }

  Router make_router() {
    std::map<std::string, Target, std::less<>> targets;
    targets["primary"] = {&source_, &breaker_};
    return Router(table_, std::move(targets), {.max_retries = 0}, clock_, metrics_, [] { return 0.0; }, &step_);
  }

  testing::FakeClock clock_;
  RouteTable table_;
  MetricsRegistry registry_;
  RouterMetrics metrics_;
  Logger log_{nullptr};
  cache::InMemoryCache memory_;
  cache::CacheMetrics cache_metrics_;
  cache::CacheStep step_;
  CountingSource source_;
  CircuitBreaker breaker_{{.failure_threshold = 2, .open_for = Duration(1000)}, clock_};
};

TEST_F(RouterCacheTest, AHitNeverCallsAnUpstream) {
  Router router = make_router();
  const std::string body = R"({"model":"default","messages":[{"role":"user","content":"2+2"}],"seed":1})";
  testing::RecordingSink first;
  ASSERT_TRUE(run(router, body, first).ok());
  EXPECT_EQ(first.route(), "upstream:primary");
  EXPECT_EQ(source_.calls, 1);
  testing::RecordingSink second;
  ASSERT_TRUE(run(router, body, second).ok());
  EXPECT_EQ(second.route(), "cache");
  EXPECT_EQ(source_.calls, 1);
  ASSERT_TRUE(second.completion().has_value());
  EXPECT_EQ(second.completion()->body.json()["choices"], finished_body()["choices"]);
}

TEST_F(RouterCacheTest, AStreamToStoreAsksForUsageAndHidesIt) {
  Router router = make_router();
  const std::string body = R"({"model":"default","messages":[{"role":"user","content":"2+2"}],"seed":1,"stream":true})";
  testing::RecordingSink sink;
  ASSERT_TRUE(run(router, body, sink).ok());
  EXPECT_TRUE(source_.saw_include_usage) << "the cache wants the usage for later hits";
  EXPECT_EQ(sink.chunks().size(), 2u) << "the usage chunk the client did not ask for is hidden";
  EXPECT_EQ(memory_.size(), 1u);
}

TEST_F(RouterCacheTest, AnUnknownModelNeverReachesTheCache) {
  Router router = make_router();
  testing::RecordingSink sink;
  Status status = run(router, R"({"model":"nope","messages":[],"seed":1})", sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::ModelNotFound);
  EXPECT_EQ(registry_.value("hearth_cache_misses_total", {}), 0);
}

}  // namespace
}  // namespace hearth::router
