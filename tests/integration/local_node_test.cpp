// The embedded node behind the gateway, on the real stories260K model: served greedy text
// equals the engine's own generate(); budgets burst to the next candidate (a fake cloud
// upstream) or end in 503 + Retry-After; a prompt too long for the context goes elsewhere or
// gets 400 with the numbers; a model over the memory budget is refused at start-up; a client
// that disconnects frees its slot.

#include <chrono>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "fakes/fake_upstream.hpp"
#include "fakes/http_test_client.hpp"
#include "hearth/app/gateway_app.hpp"
#include "hearth/localnode/chat_template.hpp"
#include "hearth/localnode/generate.hpp"
#include "model/model_files.hpp"

namespace hearth::app {
namespace {

using namespace std::chrono_literals;
using testing::FakeUpstream;
using testing::http_post_json;
using testing::http_request;
namespace ln = localnode;

std::string stories_path() { return (ln::testing::models_dir() / "stories260K.gguf").string(); }

class LocalNodeTest : public ::testing::Test {
 protected:
  // `local` is the body of the config's local: section; `models` its models: section.
  void start(const std::string& local, const std::string& models) {
    const std::string text = "server: {listen: 127.0.0.1:0, workers: 2}\n"
                             "auth: {enabled: false}\n"
                             "cache: {backend: off}\n"
                             "upstreams:\n"
                             "  - {name: cloud, kind: openai, base_url: '" + cloud_.base_url() +
                             "', api_key_env: CLOUD_KEY, zone: cloud}\n"
                             "local:\n" + local + "models:\n" + models;
    auto config = parse_config(text, "test.yaml", [](const std::string& name) -> std::optional<std::string> {
      if (name == "CLOUD_KEY") return "sk-cloud";
      return std::nullopt;
    });
    ASSERT_TRUE(config.ok()) << config.error().message;
    app_ = std::make_unique<GatewayApp>(std::move(*config), log_, access_log_);
    ASSERT_TRUE(app_->start().ok());
  }

  // The local model's entry in /readyz once it has left the loading state (60 s: stuck).
  nlohmann::json local_state() {
    nlohmann::json model;
    for (int i = 0; i < 6000; ++i) {
      auto reply = http_request(app_->port(), "GET", "/readyz");
      model = nlohmann::json::parse(reply.body)["local"]["models"][0];
      if (model["state"] != "loading") break;
      std::this_thread::sleep_for(10ms);
    }
    return model;
  }

  testing::HttpReply post(const std::string& path, const nlohmann::json& body) {
    return http_post_json(app_->port(), path, body.dump());
  }

  FakeUpstream cloud_;
  Logger log_{nullptr};
  Logger access_log_{nullptr};
  std::unique_ptr<GatewayApp> app_;
};

// What the engine generates alone for `prompt` (greedy), to compare the served text with.
ln::GenerateResult generate_alone(const std::vector<int32_t>& prompt, int max_tokens) {
  auto file = ln::GgufFile::open(stories_path());
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  auto model = ln::Model::load(std::move(file).value());
  auto ctx = ln::InferenceContext::create(**model, {.n_ctx = 256});
  ln::GenerateOptions o;
  o.max_tokens = max_tokens;
  auto r = ln::generate(**ctx, *tokenizer, prompt, o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : ln::GenerateResult{};
}

std::vector<int32_t> tokenize(const std::string& text) {
  auto file = ln::GgufFile::open(stories_path());
  return ln::Tokenizer::from_gguf(*file)->encode(text, true);
}

std::vector<int32_t> chat_tokens(const std::string& user) {
  auto file = ln::GgufFile::open(stories_path());
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  const auto chat_template = ln::ChatTemplate::from_gguf(*file, *tokenizer);
  const std::vector<ln::ChatTurn> turns = {{"user", user}};
  return ln::encode_chat(*tokenizer, *chat_template.render(turns, true));
}

constexpr const char* kLocal =
    "  memory_budget: 64MiB\n  threads: 2\n"
    "  models: [{name: tiny, path: ../shared/models/stories260K.gguf, context: 256, slots: 4}]\n";

// The same node on the Vulkan backend (lavapipe here): the served greedy text is still what
// the CPU engine generates alone, and /readyz names the device.
TEST_F(LocalNodeTest, VulkanBackendServesTheSameText) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  start("  backend: vulkan\n" + std::string(kLocal), "  - {name: story, routes: [local:tiny]}\n");
  const auto state = local_state();
  ASSERT_EQ(state["state"], "ready") << state.dump();
  EXPECT_EQ(state["backend"].get<std::string>().rfind("vulkan: ", 0), 0u) << state.dump();
  const auto want = generate_alone(tokenize("Once upon a time"), 24);
  auto reply = post("/v1/completions", {{"model", "story"}, {"prompt", "Once upon a time"},
                                        {"max_tokens", 24}, {"temperature", 0}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("x-hearth-route"), "local:tiny");
  EXPECT_EQ(nlohmann::json::parse(reply.body)["choices"][0]["text"], want.text);
}

// The device holds every slot's whole KV cache, and the budget counts it.
TEST_F(LocalNodeTest, VulkanBackendCountsDeviceMemoryAgainstTheBudget) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  // The weights (1 MiB) and one 2,048-token context (1.25 MiB) fit 4 MiB; eight do not.
  start("  backend: vulkan\n  memory_budget: 4MiB\n  threads: 2\n"
        "  models: [{name: tiny, path: ../shared/models/stories260K.gguf, context: 2048, slots: 8}]\n",
        "  - {name: story, routes: [local:tiny]}\n");
  const auto state = local_state();
  ASSERT_EQ(state["state"], "failed") << state.dump();
  EXPECT_NE(state["reason"].get<std::string>().find("KV caches of 8 slots"), std::string::npos) << state.dump();
}

TEST_F(LocalNodeTest, ServedGreedyTextEqualsGenerate) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  start(kLocal, "  - {name: story, routes: [local:tiny, cloud:gpt-4o-mini]}\n");
  ASSERT_EQ(local_state()["state"], "ready");

  // /v1/completions, whole.
  const auto want = generate_alone(tokenize("Once upon a time"), 40);
  auto reply = post("/v1/completions", {{"model", "story"}, {"prompt", "Once upon a time"},
                                        {"max_tokens", 40}, {"temperature", 0}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("x-hearth-route"), "local:tiny");
  auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["choices"][0]["text"], want.text);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], want.prompt_tokens.size());
  EXPECT_EQ(body["usage"]["completion_tokens"], 40);
  EXPECT_EQ(cloud_.request_count(), 0u);
  // Its first token, against admission's projection of it.
  const std::string metrics = app_->metrics().render();
  EXPECT_NE(metrics.find("hearth_local_ttft_over_projection_count{model=\"tiny\"} 1\n"), std::string::npos)
      << metrics;

  // /v1/chat/completions, streamed, with the chat template applied.
  const auto chat_want = generate_alone(chat_tokens("Tell me a story."), 24);
  auto streamed = post("/v1/chat/completions",
                       {{"model", "story"}, {"messages", {{{"role", "user"}, {"content", "Tell me a story."}}}},
                        {"max_tokens", 24}, {"temperature", 0}, {"stream", true},
                        {"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamed.header("x-hearth-route"), "local:tiny");
  std::string text;
  std::string finish;
  nlohmann::json usage;
  for (size_t at = 0; (at = streamed.body.find("data: {", at)) != std::string::npos; ++at) {
    const auto chunk = nlohmann::json::parse(streamed.body.substr(at + 6, streamed.body.find('\n', at) - at - 6));
    if (chunk.contains("usage")) usage = chunk["usage"];
    if (chunk["choices"].empty()) continue;
    const auto& choice = chunk["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  EXPECT_EQ(text, chat_want.text);
  EXPECT_EQ(finish, chat_want.finish_reason == ln::FinishReason::Length ? "length" : "stop");
  EXPECT_EQ(usage["completion_tokens"], chat_want.tokens.size());
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos);
}

TEST_F(LocalNodeTest, LatencyBudgetBurstsToTheNextCandidate) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  // A 1 ms budget: a 200-token prompt projects far beyond it at any real prefill rate.
  start("  latency_budget: {ttft_ms: 1}\n" + std::string(kLocal),
        "  - {name: story, routes: [local:tiny, cloud:gpt-4o-mini]}\n"
        "  - {name: only-local, routes: [local:tiny]}\n");
  ASSERT_EQ(local_state()["state"], "ready");
  std::string long_prompt;  // about 200 tokens: within the 256-token context
  for (int i = 0; i < 20; ++i) long_prompt += "the cat sat on the mat. ";

  auto burst = post("/v1/completions", {{"model", "story"}, {"prompt", long_prompt}, {"max_tokens", 5}});
  ASSERT_EQ(burst.status, 200) << burst.body;
  EXPECT_EQ(burst.header("x-hearth-route"), "upstream:cloud");
  EXPECT_EQ(cloud_.last_request().json["model"], "gpt-4o-mini");

  // No candidate left: 503 with Retry-After, at once.
  auto refused = post("/v1/completions", {{"model", "only-local"}, {"prompt", long_prompt}, {"max_tokens", 5}});
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  EXPECT_NE(refused.body.find("time to first token"), std::string::npos) << refused.body;
  EXPECT_GE(app_->metrics().value("hearth_local_admissions_total", {{"model", "tiny"}, {"result", "latency"}}), 2);
}

TEST_F(LocalNodeTest, PromptLongerThanTheContextGoesElsewhereOr400) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  start("  memory_budget: 64MiB\n"
        "  models: [{name: tiny, path: ../shared/models/stories260K.gguf, context: 32}]\n",
        "  - {name: story, routes: [local:tiny, cloud:gpt-4o-mini]}\n"
        "  - {name: only-local, routes: [local:tiny]}\n");
  ASSERT_EQ(local_state()["state"], "ready");
  std::string long_prompt;
  for (int i = 0; i < 10; ++i) long_prompt += "the cat sat on the mat. ";

  auto elsewhere = post("/v1/completions", {{"model", "story"}, {"prompt", long_prompt}});
  ASSERT_EQ(elsewhere.status, 200) << elsewhere.body;
  EXPECT_EQ(elsewhere.header("x-hearth-route"), "upstream:cloud");

  auto too_long = post("/v1/completions", {{"model", "only-local"}, {"prompt", long_prompt}});
  ASSERT_EQ(too_long.status, 400) << too_long.body;
  auto error = nlohmann::json::parse(too_long.body)["error"];
  EXPECT_EQ(error["code"], "context_length_exceeded");
  EXPECT_NE(error["message"].get<std::string>().find("holds 32"), std::string::npos) << error;
}

TEST_F(LocalNodeTest, ModelOverTheMemoryBudgetIsRefusedAtStartUp) {
  HEARTH_REQUIRE_MODEL_FILE(stories_path());
  // 1.1 MiB of weights + 256 positions x 640 bytes of F16 KV do not fit 1 MiB.
  start("  memory_budget: 1MiB\n"
        "  models: [{name: tiny, path: ../shared/models/stories260K.gguf, context: 256}]\n",
        "  - {name: story, routes: [local:tiny, cloud:gpt-4o-mini]}\n");
  const auto state = local_state();
  EXPECT_EQ(state["state"], "failed");
  EXPECT_NE(state["reason"].get<std::string>().find("local.memory_budget"), std::string::npos) << state;
  // The route goes on to the cloud.
  auto reply = post("/v1/completions", {{"model", "story"}, {"prompt", "Hi"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("x-hearth-route"), "upstream:cloud");
  auto models = nlohmann::json::parse(http_request(app_->port(), "GET", "/v1/models").body);
  EXPECT_EQ(models["data"][0]["hearth_routes"][0]["state"], "failed");
}

TEST_F(LocalNodeTest, ClientThatDisconnectsFreesItsSlot) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the 135M model runs too slowly under a sanitizer; the release run covers this "
                  "test, and Scheduler.CancellingFreesTheSlot the same path";
#endif
  const auto slow = ln::testing::models_dir() / "synth-smollm2-135m-shape-Q8_0.gguf";
  HEARTH_REQUIRE_MODEL_FILE(slow);
  // One slot, and a model slow enough (135M parameters) that 2000 tokens take many seconds.
  start("  memory_budget: 1GiB\n  threads: 1\n"
        "  models: [{name: big, path: '" + slow.string() + "', context: 2048, slots: 1}]\n",
        "  - {name: big, routes: [local:big]}\n");
  ASSERT_EQ(local_state()["state"], "ready");

  // Start a long stream, read its first chunk, hang up.
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
    const std::string body = R"({"model":"big","prompt":"hello","max_tokens":2000,"stream":true})";
    const std::string request = "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                                "content-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::asio::write(socket, boost::asio::buffer(request));
    boost::asio::streambuf buffer;
    boost::asio::read_until(socket, buffer, "data: {");
    // The slot is busy: another request is refused at once.
    auto busy = post("/v1/completions", {{"model", "big"}, {"prompt", "hello"}, {"max_tokens", 1}});
    EXPECT_EQ(busy.status, 503) << busy.body;
    socket.close();
  }
  // The engine frees the slot at its next step (20 s is a bound for a stuck node, not a target).
  bool freed = false;
  for (int i = 0; i < 2000 && !freed; ++i) {
    freed = app_->metrics().value("hearth_local_busy_slots", {{"model", "big"}}) == 0;
    if (!freed) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(freed);
  auto next = post("/v1/completions", {{"model", "big"}, {"prompt", "hello"}, {"max_tokens", 2}});
  EXPECT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.header("x-hearth-route"), "local:big");
}

}  // namespace
}  // namespace hearth::app
