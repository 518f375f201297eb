#pragma once
// StreamAssembler: folds the chunks of a streamed completion (chat.completion.chunk or
// text_completion events) into the whole completion the stream amounts to — the body a
// non-streamed request would have received — so that one stored form serves both kinds of
// hit. Content, refusals, tool calls (by index, arguments joined), logprobs, finish reasons
// and usage are kept. One per stream; not thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"

namespace hearth::cache {

class StreamAssembler {
 public:
  // Beyond `max_bytes` of text the assembler stops keeping it (the result is an error).
  explicit StreamAssembler(uint64_t max_bytes);

  // Adds one chunk's JSON object. A chunk it cannot follow spoils the result, not the stream.
  void add(const Json& chunk);

  // The assembled completion body. Errors: the stream had no choices, a chunk was malformed
  // or too large, or a choice never finished.
  Result<Json> completion() const;

 private:
  struct ToolCall {
    std::string id;
    std::string type;
    std::string name;
    std::string arguments;
  };
  struct Choice {
    std::optional<std::string> role;
    std::optional<std::string> content;
    std::optional<std::string> refusal;
    std::map<int64_t, ToolCall> tool_calls;
    Json logprobs;  // null, or {"content": [...]} joined across chunks
    std::optional<std::string> finish_reason;
  };

  void fail(std::string why);
  void add_chat_delta(Choice& choice, const Json& delta);
  void add_logprobs(Choice& choice, const Json& logprobs);
  bool count(size_t bytes);

  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::optional<std::string> error_;
  std::string object_;  // the chunks' "object"
  Json id_;
  Json created_;
  Json model_;
  Json system_fingerprint_;
  Json usage_;
  std::map<int64_t, Choice> choices_;
};

}  // namespace hearth::cache
