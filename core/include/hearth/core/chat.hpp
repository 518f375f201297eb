#pragma once
// The request vocabulary: what a client asked for, decoded from the OpenAI wire format.
// Fields hearth decides on are typed; `body` keeps the client's JSON untouched so that
// everything hearth does not need to understand (tools, response_format, logprobs, seed,
// future fields) reaches OpenAI-dialect upstreams as sent; `body_text` keeps its bytes, so
// that a proxy can forward them with only `model` changed. `model` is the one to ask the
// source for: the public name from the client, or the candidate's name once routed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth {

using Json = nlohmann::json;

enum class Endpoint { ChatCompletions, Completions };

struct ChatMessage {
  std::string role;  // system | user | assistant | tool | developer
  Json content;      // a string, an array of content parts, or null (assistant tool calls)
};

// What the client's Cache-Control header asks of the response cache.
struct CacheDirectives {
  bool no_store = false;  // do not store this response
  bool no_cache = false;  // do not answer from the cache (a fresh answer may still be stored)
};

struct ChatRequest {
  Endpoint endpoint = Endpoint::ChatCompletions;
  std::string model;                   // the public model name the client asked for
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  std::vector<ChatMessage> messages;   // ChatCompletions
  std::optional<int64_t> max_tokens;   // max_completion_tokens or max_tokens
  Json body = Json::object();          // the client's JSON, as sent
  std::string body_text;               // the client's bytes, when it came over the wire
  CacheDirectives cache;               // from the Cache-Control header
};

}  // namespace hearth
