#pragma once
// Serving a stored completion again. Pure: the caller supplies the fresh id and time.
//
// A streamed hit is a real event stream, in OpenAI's order: per choice a role chunk, content
// (or refusal) chunks, tool-call deltas (id, type and name first, then the arguments in
// pieces), a finish chunk; then a usage chunk when the client asked for one. The caller
// writes `data: [DONE]` after the last chunk.

#include <cstdint>
#include <string>
#include <vector>

#include "hearth/core/completion.hpp"

namespace hearth::cache {

// What makes a replayed response new: its id and creation time (Unix seconds).
struct ReplayIdentity {
  std::string id;
  int64_t created = 0;
};

// The chunks that replay `completion` (a chat.completion or text_completion body), with
// text cut into pieces of at most `piece_bytes` (never inside a UTF-8 sequence).
std::vector<CompletionChunk> replay_chunks(const Json& completion, bool include_usage,
                                           const ReplayIdentity& identity, size_t piece_bytes);

// The stored body with a fresh id and created time.
Json fresh_completion(Json completion, const ReplayIdentity& identity);

// Whether a stored completion can answer this kind of request losslessly: a stream that
// asks for usage, or a whole completion, needs the usage the original carried; a stream
// cannot carry a choice's logprobs in a replay.
bool can_replay(const Json& completion, bool stream, bool include_usage);

// Cuts `text` into pieces of at most `max_bytes` bytes, each ending on a UTF-8 boundary.
std::vector<std::string> split_utf8(const std::string& text, size_t max_bytes);

}  // namespace hearth::cache
