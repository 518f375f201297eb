// SSE replay of stored completions: the frames, in OpenAI's order, and the round trip
// replay → assemble that makes a hit lossless.

#include "hearth/cache/sse_replay.hpp"

#include <gtest/gtest.h>

#include "hearth/cache/stream_assembler.hpp"

namespace hearth::cache {
namespace {

Json chat_completion() {
  return Json::parse(R"({
    "id": "chatcmpl-original", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello, wörld! 👋 How are you?"},
                 "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21,
              "prompt_tokens_details": {"cached_tokens": 0}}})");
}

Json tool_completion() {
  return Json::parse(R"({
    "id": "chatcmpl-tools", "object": "chat.completion", "created": 1700000001, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\",\"unit\":\"celsius\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{\"tz\":\"CET\"}"}}]},
      "logprobs": null, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 30, "total_tokens": 50}})");
}

const ReplayIdentity kFresh{"chatcmpl-fresh", 1800000000};

const Json& delta_of(const CompletionChunk& chunk) { return chunk.data.json()["choices"][0]["delta"]; }

Json assemble(const std::vector<CompletionChunk>& chunks) {
  StreamAssembler assembler(1 << 20);
  for (const auto& chunk : chunks) assembler.add(chunk.data.json());
  auto body = assembler.completion();
  EXPECT_TRUE(body.ok()) << body.error().message;
  return body.ok() ? *body : Json();
}

TEST(SseReplay, ChatFramesInOpenAisOrder) {
  auto chunks = replay_chunks(chat_completion(), /*include_usage=*/true, kFresh, 8);
  ASSERT_GE(chunks.size(), 5u);
  for (const auto& chunk : chunks) {
    const Json& data = chunk.data.json();
    EXPECT_EQ(data["id"], "chatcmpl-fresh");
    EXPECT_EQ(data["object"], "chat.completion.chunk");
    EXPECT_EQ(data["created"], 1800000000);
    EXPECT_EQ(data["model"], "gpt-4o-mini-2024-07-18");
    EXPECT_EQ(data["system_fingerprint"], "fp_1");
  }
  // The role chunk.
  EXPECT_EQ(delta_of(chunks[0]), Json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_TRUE(chunks[0].data.json()["choices"][0]["finish_reason"].is_null());
  // Content in pieces of at most 8 bytes, none splitting a UTF-8 sequence.
  std::string text;
  size_t i = 1;
  for (; delta_of(chunks[i]).contains("content"); ++i) {
    const std::string piece = delta_of(chunks[i])["content"];
    EXPECT_LE(piece.size(), 8u);
    EXPECT_NO_THROW((void)Json(piece).dump()) << "each piece is valid UTF-8";
    text += piece;
  }
  EXPECT_EQ(text, "Hello, wörld! 👋 How are you?");
  // The finish chunk, then the usage chunk.
  EXPECT_EQ(delta_of(chunks[i]), Json::object());
  EXPECT_EQ(chunks[i].data.json()["choices"][0]["finish_reason"], "stop");
  ASSERT_EQ(i + 2, chunks.size());
  const Json& usage = chunks.back().data.json();
  EXPECT_EQ(usage["choices"], Json::array());
  EXPECT_EQ(usage["usage"], chat_completion()["usage"]);
}

TEST(SseReplay, NoUsageChunkUnlessAsked) {
  auto chunks = replay_chunks(chat_completion(), /*include_usage=*/false, kFresh, 256);
  ASSERT_EQ(chunks.size(), 3u) << "role, one content chunk, finish";
  for (const auto& chunk : chunks) EXPECT_FALSE(chunk.data.json().contains("usage"));
}

TEST(SseReplay, ToolCallDeltas) {
  auto chunks = replay_chunks(tool_completion(), false, kFresh, 10);
  EXPECT_EQ(delta_of(chunks[0]), Json::parse(R"({"role":"assistant","content":null})"));
  // Each call: its head with id, type and name and empty arguments, then argument pieces.
  const Json& head = delta_of(chunks[1])["tool_calls"][0];
  EXPECT_EQ(head["index"], 0);
  EXPECT_EQ(head["id"], "call_1");
  EXPECT_EQ(head["type"], "function");
  EXPECT_EQ(head["function"], Json::parse(R"({"name":"get_weather","arguments":""})"));
  const Json& piece = delta_of(chunks[2])["tool_calls"][0];
  EXPECT_EQ(piece["index"], 0);
  EXPECT_FALSE(piece.contains("id")) << "later deltas carry only the arguments";
  EXPECT_EQ(chunks.back().data.json()["choices"][0]["finish_reason"], "tool_calls");

  Json again = assemble(chunks);
  EXPECT_EQ(again["choices"], tool_completion()["choices"]);
}

TEST(SseReplay, RoundTripIsLossless) {
  for (const Json& original : {chat_completion(), tool_completion()}) {
    for (size_t piece : {1u, 3u, 7u, 256u}) {
      Json again = assemble(replay_chunks(original, true, kFresh, piece));
      EXPECT_EQ(again, fresh_completion(original, kFresh)) << "piece " << piece;
    }
  }
}

TEST(SseReplay, TextCompletions) {
  Json original = Json::parse(R"({"id":"cmpl-1","object":"text_completion","created":1,"model":"m",
      "choices":[{"text":"once upon a time","index":0,"logprobs":null,"finish_reason":"length"}],
      "usage":{"prompt_tokens":1,"completion_tokens":4,"total_tokens":5}})");
  auto chunks = replay_chunks(original, true, ReplayIdentity{"cmpl-fresh", 2}, 5);
  for (const auto& chunk : chunks) EXPECT_EQ(chunk.data.json()["object"], "text_completion");
  EXPECT_EQ(chunks[0].data.json()["choices"][0]["text"], "once ");
  EXPECT_EQ(assemble(chunks), fresh_completion(original, ReplayIdentity{"cmpl-fresh", 2}));
}

TEST(SseReplay, SeveralChoicesKeepTheirIndexes) {
  Json original = chat_completion();
  Json second = original["choices"][0];
  second["index"] = 1;
  second["message"]["content"] = "Another answer.";
  second["finish_reason"] = "length";
  original["choices"].push_back(second);
  Json again = assemble(replay_chunks(original, true, kFresh, 4));
  EXPECT_EQ(again["choices"], original["choices"]);
}

TEST(SseReplay, FreshCompletionChangesOnlyIdAndCreated) {
  Json fresh = fresh_completion(chat_completion(), kFresh);
  EXPECT_EQ(fresh["id"], "chatcmpl-fresh");
  EXPECT_EQ(fresh["created"], 1800000000);
  fresh["id"] = "chatcmpl-original";
  fresh["created"] = 1700000000;
  EXPECT_EQ(fresh, chat_completion());
}

TEST(SseReplay, WhatCanBeReplayedLosslessly) {
  Json no_usage = chat_completion();
  no_usage.erase("usage");
  EXPECT_TRUE(can_replay(chat_completion(), true, true));
  EXPECT_TRUE(can_replay(no_usage, true, false));
  EXPECT_FALSE(can_replay(no_usage, true, true)) << "the client wants usage we do not have";
  EXPECT_FALSE(can_replay(no_usage, false, false)) << "a whole completion always has usage";
  Json with_logprobs = chat_completion();
  with_logprobs["choices"][0]["logprobs"] = Json::parse(R"({"content":[]})");
  EXPECT_TRUE(can_replay(with_logprobs, false, false));
  EXPECT_FALSE(can_replay(with_logprobs, true, false));
}

TEST(SplitUtf8, NeverCutsASequence) {
  const std::string text = "aé€😀b";  // 1, 2, 3, 4, 1 bytes
  for (size_t max = 1; max <= 12; ++max) {
    std::string joined;
    for (const auto& piece : split_utf8(text, max)) {
      EXPECT_FALSE(piece.empty());
      EXPECT_NO_THROW((void)Json(piece).dump()) << "max " << max << ": " << piece;
      if (max >= 4) {
        EXPECT_LE(piece.size(), max);
      }
      joined += piece;
    }
    EXPECT_EQ(joined, text);
  }
  EXPECT_TRUE(split_utf8("", 4).empty());
}

}  // namespace
}  // namespace hearth::cache
