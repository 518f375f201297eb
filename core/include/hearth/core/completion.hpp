#pragma once
// The response vocabulary. A CompletionChunk is one OpenAI `chat.completion.chunk` (or
// `text_completion` for /v1/completions) object; a Completion is one whole OpenAI response
// object. Sources in other dialects translate into this shape, so the gateway and the
// cache see one format.

#include <cstdint>
#include <optional>

#include "hearth/core/chat.hpp"
#include "hearth/core/wire_object.hpp"

namespace hearth {

struct CompletionChunk {
  WireObject data;
};

struct Completion {
  WireObject body;
};

// The usage object of a chunk or completion body, if it carries one.
std::optional<Usage> usage_of(const Json& object);
Json to_json(const Usage& usage);

}  // namespace hearth
