#include "restoring_sink.hpp"

#include <future>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace hearth::router {
namespace {

// Records everything it is sent, as it was sent.
class RecordingSink final : public CompletionSink {
 public:
  void set_route(std::string_view route) override { route_ = route; }
  void set_cache_status(std::string_view status) override { cache_status_ = status; }
  void set_rule(std::string_view rule) override { rule_ = rule; }
  Task<Status> send_chunk(const CompletionChunk& chunk) override {
    committed_ = true;
    ++calls;
    chunks.push_back(chunk);
    co_return Status{};
  }
  Task<Status> send_chunks(std::span<const CompletionChunk> batch) override {
    committed_ = true;
    ++calls;
    chunks.insert(chunks.end(), batch.begin(), batch.end());
    co_return Status{};
  }
  Task<Status> send_completion(const Completion& completion) override {
    committed_ = true;
    ++calls;
    completions.push_back(completion);
    co_return Status{};
  }
  bool committed() const override { return committed_; }

  std::vector<CompletionChunk> chunks;
  std::vector<Completion> completions;
  int calls = 0;
  std::string route_, cache_status_, rule_;

 private:
  bool committed_ = false;
};

Status run(Task<Status> task) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  io.run();
  return future.get();
}

Json chat_choice(int index, std::optional<std::string> content,
                 std::optional<std::string> finish_reason = std::nullopt) {
  Json delta = Json::object();
  if (content) delta["content"] = *content;
  return Json{{"index", index},
              {"delta", delta},
              {"finish_reason", finish_reason ? Json(*finish_reason) : Json()}};
}

Json text_choice(int index, std::string text, std::optional<std::string> finish_reason = std::nullopt) {
  return Json{{"index", index},
              {"text", std::move(text)},
              {"finish_reason", finish_reason ? Json(*finish_reason) : Json()}};
}

CompletionChunk chat_chunk_of(Json choices) {
  return CompletionChunk{Json{{"id", "chatcmpl-1"},
                              {"object", "chat.completion.chunk"},
                              {"created", 1700000000},
                              {"model", "gpt-test"},
                              {"choices", std::move(choices)}}};
}

CompletionChunk chat_chunk(const std::string& content,
                           std::optional<std::string> finish_reason = std::nullopt) {
  return chat_chunk_of(Json::array({chat_choice(0, content, std::move(finish_reason))}));
}

CompletionChunk text_chunk(const std::string& text, std::optional<std::string> finish_reason = std::nullopt) {
  return CompletionChunk{Json{{"id", "cmpl-1"},
                              {"object", "text_completion"},
                              {"created", 1700000001},
                              {"model", "gpt-text"},
                              {"choices", Json::array({text_choice(0, text, std::move(finish_reason))})}}};
}

CompletionChunk wire_chunk(const std::string& text) {
  auto scan = scan_json_object(text);
  EXPECT_TRUE(scan.has_value()) << text;
  return CompletionChunk{WireObject::from_checked_text(text, *scan)};
}

// The text a choice's deltas (or text pieces) add up to.
std::string streamed(const std::vector<CompletionChunk>& chunks, int index = 0) {
  std::string out;
  for (const CompletionChunk& chunk : chunks) {
    for (const Json& choice : chunk.data.json()["choices"]) {
      if (choice["index"] != index) continue;
      if (choice.contains("text")) out += choice["text"].get<std::string>();
      if (!choice.contains("delta")) continue;
      const Json& delta = choice["delta"];
      if (delta.contains("content") && delta["content"].is_string()) out += delta["content"].get<std::string>();
    }
  }
  return out;
}

std::string content_of(const CompletionChunk& chunk, size_t choice = 0) {
  const Json& c = chunk.data.json()["choices"][choice];
  if (c.contains("text")) return c["text"].get<std::string>();
  return c["delta"].value("content", std::string());
}

class RestoringSinkTest : public ::testing::Test {
 protected:
  RestoringSinkTest() {
    email_ = map_.placeholder_for("email", "ada@example.com", {});
    phone_ = map_.placeholder_for("phone", "+44 20 7946 0958", {});
  }

  Status send(RestoringSink& sink, const CompletionChunk& chunk) { return run(sink.send_chunk(chunk)); }

  policies::RedactionMap map_;
  std::string email_, phone_;
  RecordingSink client_;
};

TEST_F(RestoringSinkTest, PlaceholdersAreWhatTheTestsAssume) {
  EXPECT_EQ(email_, "[EMAIL_1]");
  EXPECT_EQ(phone_, "[PHONE_1]");
}

TEST_F(RestoringSinkTest, RestoresAPlaceholderSplitAcrossTwoChunks) {
  RestoringSink sink(client_, map_);
  const std::vector<CompletionChunk> in = {chat_chunk("Write to [EMA"), chat_chunk("IL_1] and"),
                                           chat_chunk(" more")};
  for (const CompletionChunk& chunk : in) ASSERT_TRUE(send(sink, chunk).ok());
  ASSERT_TRUE(run(sink.finish()).ok());

  ASSERT_EQ(client_.chunks.size(), 3u);  // finish() had nothing to add
  EXPECT_EQ(content_of(client_.chunks[0]), "Write to ");
  EXPECT_EQ(content_of(client_.chunks[1]), "ada@example.com and");
  EXPECT_EQ(content_of(client_.chunks[2]), " more");
  EXPECT_EQ(streamed(client_.chunks), "Write to ada@example.com and more");
}

TEST_F(RestoringSinkTest, RestoresAPlaceholderSplitAcrossThreeChunks) {
  RestoringSink sink(client_, map_);
  const std::vector<CompletionChunk> in = {chat_chunk("call ["), chat_chunk("PHONE_"),
                                           chat_chunk("1] now, then ["), chat_chunk("EMAIL_1]."),
                                           chat_chunk("", "stop")};
  for (const CompletionChunk& chunk : in) ASSERT_TRUE(send(sink, chunk).ok());
  ASSERT_TRUE(run(sink.finish()).ok());
  EXPECT_EQ(client_.chunks.size(), 5u);
  EXPECT_EQ(streamed(client_.chunks), "call +44 20 7946 0958 now, then ada@example.com.");
  // The chunks' other members travel unchanged.
  const Json& last = client_.chunks.back().data.json();
  EXPECT_EQ(last["id"], "chatcmpl-1");
  EXPECT_EQ(last["model"], "gpt-test");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
}

TEST_F(RestoringSinkTest, FinishReasonReleasesHeldTextInTheSameChunk) {
  RestoringSink sink(client_, map_);
  const CompletionChunk first = chat_chunk("the end [EMAI");
  CompletionChunk last = chat_chunk_of(Json::array({chat_choice(0, std::nullopt, "length")}));
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_TRUE(send(sink, last).ok());
  ASSERT_TRUE(run(sink.finish()).ok());

  ASSERT_EQ(client_.chunks.size(), 2u);
  EXPECT_EQ(content_of(client_.chunks[0]), "the end ");
  const Json& choice = client_.chunks[1].data.json()["choices"][0];
  EXPECT_EQ(choice["delta"]["content"], "[EMAI");  // the field was added
  EXPECT_EQ(choice["finish_reason"], "length");
}

TEST_F(RestoringSinkTest, FinishReasonChunkCompletesAPlaceholder) {
  RestoringSink sink(client_, map_);
  const CompletionChunk first = chat_chunk("mail [EMAIL_");
  const CompletionChunk last = chat_chunk("1]", "stop");
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_TRUE(send(sink, last).ok());
  ASSERT_EQ(client_.chunks.size(), 2u);
  EXPECT_EQ(content_of(client_.chunks[1]), "ada@example.com");
  EXPECT_EQ(streamed(client_.chunks), "mail ada@example.com");
}

TEST_F(RestoringSinkTest, BracketsThatAreNoPlaceholderPass) {
  RestoringSink sink(client_, map_);
  const std::vector<CompletionChunk> in = {chat_chunk("a[0] = b[i"), chat_chunk("]; [EMAIL_7] [x"),
                                           chat_chunk("] done")};
  for (const CompletionChunk& chunk : in) ASSERT_TRUE(send(sink, chunk).ok());
  ASSERT_TRUE(run(sink.finish()).ok());
  ASSERT_EQ(client_.chunks.size(), 3u);
  // "[0" and "[i" cannot start a placeholder: nothing is held back.
  EXPECT_EQ(content_of(client_.chunks[0]), "a[0] = b[i");
  EXPECT_EQ(streamed(client_.chunks), "a[0] = b[i]; [EMAIL_7] [x] done");
}

TEST_F(RestoringSinkTest, ChoicesAreRestoredIndependently) {
  RestoringSink sink(client_, map_);
  const CompletionChunk first =
      chat_chunk_of(Json::array({chat_choice(0, "A: [EMA"), chat_choice(1, "B: [PHONE")}));
  // The second chunk lists the choices the other way round.
  const CompletionChunk second =
      chat_chunk_of(Json::array({chat_choice(1, "_1] b", "stop"), chat_choice(0, "IL_1] a")}));
  const CompletionChunk third = chat_chunk_of(Json::array({chat_choice(0, "!", "stop")}));
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_TRUE(send(sink, second).ok());
  ASSERT_TRUE(send(sink, third).ok());
  ASSERT_TRUE(run(sink.finish()).ok());

  ASSERT_EQ(client_.chunks.size(), 3u);
  EXPECT_EQ(content_of(client_.chunks[0], 0), "A: ");
  EXPECT_EQ(content_of(client_.chunks[0], 1), "B: ");
  EXPECT_EQ(streamed(client_.chunks, 0), "A: ada@example.com a!");
  EXPECT_EQ(streamed(client_.chunks, 1), "B: +44 20 7946 0958 b");
}

TEST_F(RestoringSinkTest, RestoresStreamedTextCompletions) {
  RestoringSink sink(client_, map_);
  const std::vector<CompletionChunk> in = {text_chunk("Dear [PHO"), text_chunk("NE_1], hi ["),
                                           text_chunk("", "stop")};
  for (const CompletionChunk& chunk : in) ASSERT_TRUE(send(sink, chunk).ok());
  ASSERT_EQ(client_.chunks.size(), 3u);
  EXPECT_EQ(content_of(client_.chunks[0]), "Dear ");
  EXPECT_EQ(content_of(client_.chunks[1]), "+44 20 7946 0958, hi ");
  EXPECT_EQ(content_of(client_.chunks[2]), "[");
  EXPECT_FALSE(client_.chunks[2].data.json()["choices"][0].contains("delta"));
}

TEST_F(RestoringSinkTest, FinishSendsHeldTextWhenTheStreamEndedWithoutAFinishReason) {
  RestoringSink sink(client_, map_);
  const CompletionChunk first = chat_chunk("cut off at [EMAIL");
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_EQ(client_.chunks.size(), 1u);
  EXPECT_EQ(content_of(client_.chunks[0]), "cut off at ");

  ASSERT_TRUE(run(sink.finish()).ok());
  ASSERT_EQ(client_.chunks.size(), 2u);
  const Json& extra = client_.chunks[1].data.json();
  EXPECT_EQ(extra["id"], "chatcmpl-1");
  EXPECT_EQ(extra["object"], "chat.completion.chunk");
  EXPECT_EQ(extra["created"], 1700000000);
  EXPECT_EQ(extra["model"], "gpt-test");
  ASSERT_EQ(extra["choices"].size(), 1u);
  EXPECT_EQ(extra["choices"][0]["index"], 0);
  EXPECT_EQ(extra["choices"][0]["delta"]["content"], "[EMAIL");
  EXPECT_TRUE(extra["choices"][0]["finish_reason"].is_null());

  // Nothing is held any more.
  ASSERT_TRUE(run(sink.finish()).ok());
  EXPECT_EQ(client_.chunks.size(), 2u);
}

TEST_F(RestoringSinkTest, FinishSendsHeldTextOfATextCompletion) {
  RestoringSink sink(client_, map_);
  const CompletionChunk first = text_chunk("x [PHONE_");
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_TRUE(run(sink.finish()).ok());
  ASSERT_EQ(client_.chunks.size(), 2u);
  const Json& extra = client_.chunks[1].data.json();
  EXPECT_EQ(extra["object"], "text_completion");
  EXPECT_EQ(extra["id"], "cmpl-1");
  EXPECT_EQ(extra["choices"][0]["text"], "[PHONE_");
  EXPECT_FALSE(extra["choices"][0].contains("delta"));
}

TEST_F(RestoringSinkTest, FinishIsANoOpWithoutHeldText) {
  RestoringSink sink(client_, map_);
  ASSERT_TRUE(run(sink.finish()).ok());
  const CompletionChunk only = chat_chunk("plain text [EMAIL_1]");
  ASSERT_TRUE(send(sink, only).ok());
  ASSERT_TRUE(run(sink.finish()).ok());
  ASSERT_EQ(client_.chunks.size(), 1u);
  EXPECT_EQ(content_of(client_.chunks[0]), "plain text ada@example.com");
}

TEST_F(RestoringSinkTest, ChunksWithoutTextPassUnchanged) {
  RestoringSink sink(client_, map_);
  const std::string role =
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})";
  const std::string usage =
      R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})";
  const std::string plain =
      R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"no placeholders"},"finish_reason":null}]})";
  const std::vector<CompletionChunk> in = {wire_chunk(role), wire_chunk(plain), wire_chunk(usage)};
  for (const CompletionChunk& chunk : in) ASSERT_TRUE(send(sink, chunk).ok());
  ASSERT_EQ(client_.chunks.size(), 3u);
  EXPECT_EQ(client_.chunks[0].data.text(), role);  // byte for byte
  EXPECT_EQ(client_.chunks[1].data.text(), plain);
  EXPECT_EQ(client_.chunks[2].data.text(), usage);
}

TEST_F(RestoringSinkTest, EmptyMapPassesEverythingUntouched) {
  policies::RedactionMap empty;
  RestoringSink sink(client_, empty);
  // Odd spacing survives only if nothing was parsed and written again.
  const std::string chunk_text =
      R"({"choices": [{"index": 0, "delta": {"content": "[EMAIL_1] [EMA"}, "finish_reason": null}]})";
  const std::string body_text =
      R"({"object": "chat.completion", "choices": [{"index": 0, "message": {"content": "[EMAIL_1]"}}]})";
  const std::vector<CompletionChunk> in = {wire_chunk(chunk_text), wire_chunk(chunk_text)};
  ASSERT_TRUE(run(sink.send_chunks(in)).ok());
  ASSERT_TRUE(run(sink.finish()).ok());
  auto scan = scan_json_object(body_text);
  ASSERT_TRUE(scan.has_value());
  const Completion completion{WireObject::from_checked_text(body_text, *scan)};
  ASSERT_TRUE(run(sink.send_completion(completion)).ok());

  ASSERT_EQ(client_.chunks.size(), 2u);
  EXPECT_EQ(client_.chunks[0].data.text(), chunk_text);
  EXPECT_EQ(client_.chunks[1].data.text(), chunk_text);
  ASSERT_EQ(client_.completions.size(), 1u);
  EXPECT_EQ(client_.completions[0].body.text(), body_text);
}

TEST_F(RestoringSinkTest, SendChunksRestoresAllThenSendsOnce) {
  RestoringSink sink(client_, map_);
  const std::vector<CompletionChunk> in = {chat_chunk("one [EM"), chat_chunk("AIL_1] two"),
                                           chat_chunk(" three", "stop")};
  ASSERT_TRUE(run(sink.send_chunks(in)).ok());
  EXPECT_EQ(client_.calls, 1);
  ASSERT_EQ(client_.chunks.size(), 3u);
  EXPECT_EQ(streamed(client_.chunks), "one ada@example.com two three");
}

TEST_F(RestoringSinkTest, RestoresANonStreamedChatCompletion) {
  RestoringSink sink(client_, map_);
  Json call = {{"id", "call_1"},
               {"type", "function"},
               {"function", {{"name", "send"}, {"arguments", R"({"to":"[EMAIL_1]"})"}}}};
  Json body = {{"id", "chatcmpl-9"},
               {"object", "chat.completion"},
               {"choices", Json::array({{{"index", 0},
                                         {"message",
                                          {{"role", "assistant"},
                                           {"content", "Mail [EMAIL_1] or call [PHONE_1]. [EMAIL_2] [x"},
                                           {"tool_calls", Json::array({call})}}},
                                         {"finish_reason", "stop"}},
                                        {{"index", 1},
                                         {"message", {{"role", "assistant"}, {"content", nullptr}}},
                                         {"finish_reason", "stop"}}})}};
  const Completion completion{body};
  ASSERT_TRUE(run(sink.send_completion(completion)).ok());
  ASSERT_EQ(client_.completions.size(), 1u);
  const Json& out = client_.completions[0].body.json();
  EXPECT_EQ(out["choices"][0]["message"]["content"],
            "Mail ada@example.com or call +44 20 7946 0958. [EMAIL_2] [x");
  EXPECT_EQ(out["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            R"({"to":"ada@example.com"})");
  EXPECT_TRUE(out["choices"][1]["message"]["content"].is_null());
  EXPECT_EQ(out["id"], "chatcmpl-9");
}

TEST_F(RestoringSinkTest, RestoresANonStreamedTextCompletion) {
  RestoringSink sink(client_, map_);
  const Completion completion{Json{{"object", "text_completion"},
                                   {"choices", Json::array({text_choice(0, "to [EMAIL_1]", "stop"),
                                                            text_choice(1, "[PHONE_1]", "stop")})}}};
  ASSERT_TRUE(run(sink.send_completion(completion)).ok());
  ASSERT_EQ(client_.completions.size(), 1u);
  const Json& out = client_.completions[0].body.json();
  EXPECT_EQ(out["choices"][0]["text"], "to ada@example.com");
  EXPECT_EQ(out["choices"][1]["text"], "+44 20 7946 0958");
}

TEST_F(RestoringSinkTest, RestoresStreamedToolCallArguments) {
  RestoringSink sink(client_, map_);
  auto tool_chunk = [](const std::string& args, Json finish_reason) {
    Json delta = {{"tool_calls", Json::array({{{"index", 0}, {"function", {{"arguments", args}}}}})}};
    return chat_chunk_of(Json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}}));
  };
  const CompletionChunk first = tool_chunk(R"({"to":"[EMA)", nullptr);
  const CompletionChunk second = tool_chunk(R"(IL_1]","cc":"[PHO)", nullptr);
  const CompletionChunk last = chat_chunk_of(Json::array({chat_choice(0, std::nullopt, "tool_calls")}));
  ASSERT_TRUE(send(sink, first).ok());
  ASSERT_TRUE(send(sink, second).ok());
  ASSERT_TRUE(send(sink, last).ok());
  ASSERT_EQ(client_.chunks.size(), 3u);
  std::string args;
  for (const CompletionChunk& chunk : client_.chunks) {
    const Json& delta = chunk.data.json()["choices"][0]["delta"];
    if (!delta.contains("tool_calls")) continue;
    EXPECT_EQ(delta["tool_calls"][0]["index"], 0);
    args += delta["tool_calls"][0]["function"]["arguments"].get<std::string>();
  }
  EXPECT_EQ(args, R"({"to":"ada@example.com","cc":"[PHO)");
  EXPECT_FALSE(client_.chunks[2].data.json()["choices"][0]["delta"].contains("content"));
}

TEST_F(RestoringSinkTest, OriginalsGoIntoToolCallArgumentsAsValidJson) {
  policies::RedactionMap map;
  const std::string original = R"(pa"ss\word)";
  ASSERT_EQ(map.placeholder_for("secret", original, {}), "[SECRET_1]");
  RestoringSink sink(client_, map);
  Json call = {{"id", "call_1"},
               {"type", "function"},
               {"function", {{"name", "login"}, {"arguments", R"({"password":"[SECRET_1]"})"}}}};
  const Completion completion{Json{
      {"object", "chat.completion"},
      {"choices", Json::array({{{"index", 0},
                                {"message", {{"role", "assistant"}, {"content", "[SECRET_1]"}, {"tool_calls", Json::array({call})}}},
                                {"finish_reason", "tool_calls"}}})}}};
  ASSERT_TRUE(run(sink.send_completion(completion)).ok());
  ASSERT_EQ(client_.completions.size(), 1u);
  const Json& message = client_.completions[0].body.json()["choices"][0]["message"];
  EXPECT_EQ(message["content"], original) << "plain text gets the original as it was";
  const Json arguments = Json::parse(message["tool_calls"][0]["function"]["arguments"].get<std::string>(), nullptr, false);
  ASSERT_FALSE(arguments.is_discarded()) << message["tool_calls"][0]["function"]["arguments"];
  EXPECT_EQ(arguments["password"], original);
}

TEST_F(RestoringSinkTest, ForwardsHeadersAndCommitState) {
  RestoringSink sink(client_, map_);
  sink.set_route("upstream:openai");
  sink.set_cache_status("bypass");
  sink.set_rule("redact-pii");
  EXPECT_EQ(client_.route_, "upstream:openai");
  EXPECT_EQ(client_.cache_status_, "bypass");
  EXPECT_EQ(client_.rule_, "redact-pii");
  EXPECT_FALSE(sink.committed());
  const CompletionChunk chunk = chat_chunk("hi");
  ASSERT_TRUE(send(sink, chunk).ok());
  EXPECT_TRUE(sink.committed());
}

}  // namespace
}  // namespace hearth::router
