// CacheStep with an InMemoryCache: misses are stored, hits replayed (whole or as a stream),
// Cache-Control and determinism respected, scopes kept apart, a failing backend bypassed,
// bad entries deleted. The route is a fake that answers like an OpenAI upstream.

#include "hearth/cache/cache_step.hpp"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"
#include "hearth/cache/cache_entry.hpp"
#include "hearth/cache/in_memory_cache.hpp"

namespace hearth::cache {
namespace {

namespace asio = boost::asio;

// A sink that records everything, the cache status included.
class StatusSink final : public CompletionSink {
 public:
  void set_route(std::string_view route) override { route_ = route; }
  void set_cache_status(std::string_view status) override {
    if (!committed_) status_ = status;
  }
  Task<Status> send_chunk(const CompletionChunk& chunk) override {
    committed_ = true;
    chunks.push_back(chunk.data.json());
    co_return Status{};
  }
  Task<Status> send_completion(const Completion& completion) override {
    committed_ = true;
    completion_ = completion.body.json();
    co_return Status{};
  }
  bool committed() const override { return committed_; }

  std::string text() const {
    std::string out;
    for (const auto& chunk : chunks) {
      if (chunk["choices"].empty()) continue;
      const Json& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) out += delta["content"].get<std::string>();
    }
    return out;
  }

  std::string route_;
  std::string status_;
  std::vector<Json> chunks;
  Json completion_;

 private:
  bool committed_ = false;
};

// The fake route: a whole completion, or a stream of role, words, finish (and usage when
// asked for), with the given finish_reason.
struct FakeRoute {
  std::string finish_reason = "stop";
  int calls = 0;

  // Built outside the coroutine: g++ 12 mishandles brace-initialised literals inside one.
  Json whole() const {
    return Json{{"id", "chatcmpl-up"}, {"object", "chat.completion"}, {"created", 1700000000}, {"model", "m-up"},
                {"choices", Json::array({{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", "one two three"}}},
                                          {"logprobs", nullptr},
                                          {"finish_reason", finish()}}})},
                {"usage", usage()}};
  }
  std::vector<Json> stream(bool with_usage) const {
    std::vector<Json> chunks;
    for (const Json& delta : {Json{{"role", "assistant"}, {"content", ""}}, Json{{"content", "one"}},
                              Json{{"content", " two"}}, Json{{"content", " three"}}}) {
      chunks.push_back(chunk_of(Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}})));
    }
    chunks.push_back(chunk_of(Json::array({{{"index", 0}, {"delta", Json::object()}, {"finish_reason", finish()}}})));
    if (with_usage) {
      chunks.push_back(chunk_of(Json::array()));
      chunks.back()["usage"] = usage();
    }
    return chunks;
  }
  Json finish() const { return finish_reason.empty() ? Json(nullptr) : Json(finish_reason); }
  static Json usage() { return Json{{"prompt_tokens", 5}, {"completion_tokens", 3}, {"total_tokens", 8}}; }

  Task<Status> complete(const ChatRequest& request, bool force_usage, CompletionSink& sink) {
    ++calls;
    sink.set_route("upstream:fake");
    if (!request.stream) {
      const Completion completion{whole()};
      co_return co_await sink.send_completion(completion);
    }
    for (Json& data : stream(request.include_usage || force_usage)) {
      const CompletionChunk chunk{std::move(data)};
      Status sent = co_await sink.send_chunk(chunk);
      if (!sent) co_return sent;
    }
    co_return Status{};
  }

  static Json chunk_of(Json choices) {
    return Json{{"id", "chatcmpl-up"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                {"model", "m-up"}, {"choices", std::move(choices)}};
  }
};

// A backend that cannot answer.
class DownCache final : public ResponseCache {
 public:
  Task<CacheLookup> lookup(const std::string&) override {
    co_return CacheLookup{CacheLookup::Outcome::Unavailable, nullptr};
  }
  void store(std::string, std::string, Duration) override { ++stores; }
  void erase(std::string) override {}
  std::string_view name() const override { return "down"; }
  int stores = 0;
};

class CacheStepTest : public ::testing::Test {
 protected:
  CacheStepTest() : memory_(1 << 20, clock_), metrics_(registry_, log_) {}

  // What the router does around its candidates.
  static Task<Status> serve(CacheStep& step, FakeRoute& route, const ChatRequest& request,
                            const RequestContext& context, CompletionSink& sink) {
    CacheTicket ticket = co_await step.begin(request, context, "fake:m-up", sink);
    if (ticket.served) co_return ticket.status;
    if (!ticket.store) co_return co_await route.complete(request, false, sink);
    StoringSink storing(sink, step, ticket);
    Status status = co_await route.complete(request, ticket.force_usage, storing);
    if (status.ok()) step.finish(ticket, storing);
    co_return status;
  }

  StatusSink run(const std::string& body, const std::string& app = "billing", bool no_store = false,
                 bool no_cache = false, ResponseCache* cache = nullptr) {
    ChatRequest request;
    const Json json = Json::parse(body);
    request.body = json;
    request.model = json["model"];
    request.stream = json.value("stream", false);
    request.include_usage = request.stream && json.contains("stream_options") &&
                            json["stream_options"].value("include_usage", false);
    request.cache = {no_store, no_cache};
    CacheStep step(cache != nullptr ? *cache : memory_, options_, metrics_);
    StatusSink sink;
    const RequestContext context{"req", app, "team", TimePoint::max(), {}, nullptr};
    asio::io_context io;
    auto done = asio::co_spawn(io, serve(step, route_, request, context, sink), asio::use_future);
    io.run();
    EXPECT_TRUE(done.get().ok());
    return sink;
  }

  double metric(std::string_view name, const Labels& labels = {}) { return registry_.value(name, labels); }

  testing::FakeClock clock_;
  InMemoryCache memory_;
  MetricsRegistry registry_;
  Logger log_{nullptr};
  CacheMetrics metrics_;
  CacheOptions options_;
  FakeRoute route_;
};

const std::string kChat = R"({"model":"chat","messages":[{"role":"user","content":"count"}],"temperature":0})";
const std::string kStream =
    R"({"model":"chat","messages":[{"role":"user","content":"count"}],"temperature":0,"stream":true})";
const std::string kStreamUsage =
    R"({"model":"chat","messages":[{"role":"user","content":"count"}],"temperature":0,"stream":true,"stream_options":{"include_usage":true}})";

TEST_F(CacheStepTest, MissIsStoredThenHitIsReplayed) {
  auto miss = run(kChat);
  EXPECT_EQ(miss.status_, "stored");
  EXPECT_EQ(miss.route_, "upstream:fake");
  EXPECT_EQ(route_.calls, 1);
  EXPECT_EQ(memory_.size(), 1u);

  auto hit = run(kChat);
  EXPECT_EQ(route_.calls, 1) << "a hit never calls the route";
  EXPECT_EQ(hit.status_, "hit");
  EXPECT_EQ(hit.route_, "cache");
  EXPECT_NE(hit.completion_["id"], miss.completion_["id"]) << "a fresh id";
  EXPECT_TRUE(hit.completion_["id"].get<std::string>().starts_with("chatcmpl-"));
  Json expected = miss.completion_;
  expected["id"] = hit.completion_["id"];
  expected["created"] = hit.completion_["created"];
  EXPECT_EQ(hit.completion_, expected);
  EXPECT_EQ(metric("hearth_cache_hits_total"), 1);
  EXPECT_EQ(metric("hearth_cache_misses_total"), 1);
  EXPECT_EQ(metric("hearth_cache_stores_total"), 1);
}

TEST_F(CacheStepTest, AStreamedMissIsStoredAndServesBothKindsOfHit) {
  auto miss = run(kStream);
  EXPECT_EQ(miss.status_, "miss") << "the headers went out before the stream finished";
  ASSERT_EQ(memory_.size(), 1u);
  for (const auto& chunk : miss.chunks) {
    EXPECT_FALSE(chunk.contains("usage")) << "usage asked for by the cache is not shown: " << chunk;
  }

  auto stream_hit = run(kStreamUsage);
  EXPECT_EQ(stream_hit.status_, "hit");
  EXPECT_EQ(stream_hit.text(), "one two three");
  EXPECT_EQ(stream_hit.chunks.back()["usage"]["total_tokens"], 8) << "the usage the cache kept";

  auto whole_hit = run(kChat);
  EXPECT_EQ(whole_hit.status_, "hit");
  EXPECT_EQ(whole_hit.completion_["choices"][0]["message"]["content"], "one two three");
  EXPECT_EQ(whole_hit.completion_["usage"]["total_tokens"], 8);
  EXPECT_EQ(route_.calls, 1);
}

TEST_F(CacheStepTest, CacheControl) {
  auto no_cache = run(kChat, "billing", false, true);
  EXPECT_EQ(no_cache.status_, "stored") << "no-cache still stores the fresh answer";
  auto no_cache_again = run(kChat, "billing", false, true);
  EXPECT_EQ(route_.calls, 2) << "no-cache never answers from the cache";
  EXPECT_EQ(no_cache_again.status_, "stored");

  auto no_store = run(R"({"model":"chat","messages":[{"role":"user","content":"other"}],"temperature":0})",
                      "billing", true, false);
  EXPECT_EQ(no_store.status_, "miss");
  auto again = run(R"({"model":"chat","messages":[{"role":"user","content":"other"}],"temperature":0})");
  EXPECT_EQ(again.status_, "stored") << "the no-store answer was not kept";

  auto both = run(kChat, "billing", true, true);
  EXPECT_EQ(both.status_, "bypass");
  EXPECT_EQ(metric("hearth_cache_bypasses_total", {{"reason", "no_store"}}), 1);
}

TEST_F(CacheStepTest, NondeterministicRequestsBypass) {
  const std::string sampled = R"({"model":"chat","messages":[{"role":"user","content":"poem"}],"temperature":0.8})";
  EXPECT_EQ(run(sampled).status_, "bypass");
  EXPECT_EQ(run(sampled).status_, "bypass");
  EXPECT_EQ(route_.calls, 2);
  EXPECT_EQ(memory_.size(), 0u);
  EXPECT_EQ(metric("hearth_cache_bypasses_total", {{"reason", "nondeterministic"}}), 2);

  options_.nondeterministic = true;
  EXPECT_EQ(run(sampled).status_, "stored");
  EXPECT_EQ(run(sampled).status_, "hit");
}

TEST_F(CacheStepTest, ScopesKeepAppsApart) {
  EXPECT_EQ(run(kChat, "billing").status_, "stored");
  EXPECT_EQ(run(kChat, "support").status_, "stored") << "another app never sees billing's entry";
  EXPECT_EQ(run(kChat, "billing").status_, "hit");
  EXPECT_EQ(route_.calls, 2);

  options_.scope = CacheScope::Shared;
  EXPECT_EQ(run(kChat, "billing").status_, "stored");
  EXPECT_EQ(run(kChat, "support").status_, "hit") << "shared scope: one entry for all";
}

TEST_F(CacheStepTest, UnfinishedOrFilteredAnswersAreNotStored) {
  route_.finish_reason = "content_filter";
  EXPECT_EQ(run(kChat).status_, "miss");
  EXPECT_EQ(run(kStream).status_, "miss");
  route_.finish_reason = "";
  EXPECT_EQ(run(kStream).status_, "miss");
  EXPECT_EQ(memory_.size(), 0u);
  route_.finish_reason = "length";
  EXPECT_EQ(run(kChat).status_, "stored");
}

TEST_F(CacheStepTest, AnUnavailableBackendIsBypassedAndNotWritten) {
  DownCache down;
  auto reply = run(kChat, "billing", false, false, &down);
  EXPECT_EQ(reply.status_, "bypass");
  EXPECT_EQ(reply.route_, "upstream:fake");
  EXPECT_EQ(down.stores, 0);
  EXPECT_EQ(metric("hearth_cache_bypasses_total", {{"reason", "unavailable"}}), 1);
}

TEST_F(CacheStepTest, ACorruptEntryIsDeletedAndCountsAsAMiss) {
  ASSERT_EQ(run(kChat).status_, "stored");
  // Overwrite the one entry with garbage, under its own key.
  std::string key;
  {
    ChatRequest request;
    request.body = Json::parse(kChat);
    const RequestContext context{"req", "billing", "team", TimePoint::max(), {}, nullptr};
    key = cache_key(scope_name(CacheScope::App, context), *canonical_request(request, "fake:m-up"));
  }
  ASSERT_NE(memory_.get(key), nullptr);
  memory_.store(key, "garbage", Duration(60'000));
  auto reply = run(kChat);
  EXPECT_EQ(reply.status_, "stored") << "looked up, found garbage, answered fresh and stored again";
  EXPECT_EQ(metric("hearth_cache_errors_total", {{"kind", "corrupt_entry"}}), 1);
  auto value = memory_.get(key);
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(decode_entry(*value, key).ok());
  EXPECT_EQ(run(kChat).status_, "hit");
}

TEST_F(CacheStepTest, OversizedEntriesAreNeitherStoredNorServed) {
  options_.max_entry_bytes = 64;
  EXPECT_EQ(run(kChat).status_, "miss");
  EXPECT_EQ(run(kStream).status_, "miss");
  EXPECT_EQ(memory_.size(), 0u);
}

}  // namespace
}  // namespace hearth::cache
