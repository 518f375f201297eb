#pragma once
// The request vocabulary: what a client asked for, decoded from the OpenAI wire format.
// Fields hearth decides on are typed; `body` keeps the client's JSON untouched so that
// everything hearth does not need to understand (tools, response_format, logprobs, seed,
// future fields) reaches OpenAI-dialect upstreams as sent. `model` is the one to ask the
// source for: the public name from the client, or the candidate's name once routed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hearth {

using Json = nlohmann::json;

enum class Endpoint { ChatCompletions, Completions };

// The client's JSON body. A proxied request forwards the client's bytes with only `model`
// changed and never needs their tree, which cost a sixth of the proxy's work to build; the
// local engine, the cache key, policies and the Anthropic translation read the tree. So a body
// keeps the bytes it came in, or a tree it was given, and makes the tree on first use.
// (The first use parses into a `mutable` member: a request belongs to one session at a time.)
class RequestBody {
 public:
  RequestBody() = default;  // an empty object, its tree made on first use like a text's
  RequestBody(Json tree) : tree_(std::move(tree)) {}  // NOLINT: a tree is a body

  // Where a member's value lies in the client's bytes: [begin, end).
  struct Span {
    std::size_t begin;
    std::size_t end;
  };

  // `text` must be one JSON object, as checked by scan_json_object; it is kept byte for byte.
  // `model_value`: where the value of its top-level "model" lies, when that member is the
  // only one of its name and no top-level name has escapes, so that a proxy may swap it.
  static RequestBody from_checked_text(std::string text,
                                       std::optional<Span> model_value = std::nullopt);

  // The tree (parsed on first use when the body came as text).
  const Json& json() const;
  // The tree, to change: the client's bytes no longer say the same, so they are let go.
  Json& edit();
  // The client's bytes, while the body is as they say; empty once changed or when built.
  const std::string& wire_text() const { return text_; }
  // Where the model's value lies in wire_text(), when known (see from_checked_text).
  const std::optional<Span>& model_value() const { return model_value_; }
  // Checked bytes are an object, as is a default body; a tree is asked.
  bool is_object() const { return !text_.empty() || !tree_ || tree_->is_object(); }

 private:
  mutable std::optional<Json> tree_;
  std::string text_;
  std::optional<Span> model_value_;
};

// One of a chat request's messages, as its body has it.
struct ChatMessage {
  std::string_view role;  // system | user | assistant | tool | developer ("" when not a string)
  const Json& content;    // a string, an array of content parts, or null (assistant tool calls)
};

// The messages in a chat request's body (views into it), skipping any that is not an object.
std::vector<ChatMessage> chat_messages(const Json& body);

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
  std::optional<int64_t> max_tokens;   // max_completion_tokens or max_tokens
  // The client's JSON, as sent. While it holds the client's bytes, `stream` and
  // `include_usage` are what those bytes say (decode_request read them there).
  RequestBody body;
  CacheDirectives cache;               // from the Cache-Control header
};

}  // namespace hearth
