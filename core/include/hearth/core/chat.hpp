#pragma once
// The request vocabulary: what a client asked for, decoded from the OpenAI wire format.
// Fields hearth decides on are typed; `body` keeps the client's JSON untouched so that
// everything hearth does not need to understand (tools, response_format, logprobs, seed,
// future fields) reaches OpenAI-dialect upstreams as sent.

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

struct ChatRequest {
  Endpoint endpoint = Endpoint::ChatCompletions;
  std::string model;                   // the public model name the client asked for
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  std::vector<ChatMessage> messages;   // ChatCompletions
  std::optional<int64_t> max_tokens;   // max_completion_tokens or max_tokens
  Json body = Json::object();          // the client's JSON, as sent
};

}  // namespace hearth
