#pragma once
// RestoringSink: passes a redacted request's reply on to the client with the originals put
// back in place of their placeholders — in streams too, where a placeholder may be split
// across chunks. One per attempt; lives on the router's coroutine frame (one executor, not
// thread-safe); `client` and `map` must outlive it.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>

#include "hearth/core/completion_source.hpp"
#include "hearth/policies/redaction.hpp"

namespace hearth::router {

class RestoringSink final : public ForwardingSink {
 public:
  RestoringSink(CompletionSink& client, const policies::RedactionMap& map);

  // Restores each choice's text (delta.content or text, and tool-call arguments) through
  // that choice's Restorer, which may hold back a tail that could start a placeholder; a
  // choice's non-null finish_reason releases its tail into the same chunk.
  Task<Status> send_chunk(const CompletionChunk& chunk) override;
  // Restores all, then hands them to the client in one call.
  Task<Status> send_chunks(std::span<const CompletionChunk> chunks) override;
  // Restores choices[].message.content, tool-call arguments and choices[].text whole.
  Task<Status> send_completion(const Completion& completion) override;

  // Call once after the source succeeded: sends one more chunk with any text still held
  // back (a stream that ended without a finish_reason for some choice). No-op otherwise.
  Task<Status> finish();

 private:
  struct ChoiceState {
    explicit ChoiceState(const policies::RedactionMap& map) : text(map) {}
    policies::Restorer text;
    std::map<int64_t, policies::Restorer> arguments;  // by tool-call index
    bool chat = true;  // delta.content (chat.completion.chunk) or text (text_completion)
  };

  // The restored chunk, or nullopt when the chunk passes unchanged.
  std::optional<CompletionChunk> restore_chunk(const CompletionChunk& chunk);
  // The restored completion, or nullopt when it passes unchanged.
  std::optional<Completion> restore_completion(const Completion& completion) const;
  // The chunk carrying every tail still held back, or nullopt when there is none.
  std::optional<CompletionChunk> pending_chunk();

  const policies::RedactionMap& map_;
  std::map<int64_t, ChoiceState> choices_;  // by choice index
  Json last_header_ = Json::object();      // id, object, created, model of the last chunk
};

}  // namespace hearth::router
