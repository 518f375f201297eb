#pragma once
// The bytes of one cache entry: a header naming the format version, the entry's own key and
// the body's length, then the completion body as compact JSON. The key inside lets a reader
// tell a foreign or misplaced entry from its own; the length, a truncated one. Pure.

#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"

namespace hearth::cache {

// `body_text`: the completion body as JSON text (stored as it is).
std::string encode_entry(std::string_view key, std::string_view body_text);

// The completion body stored under `key`. Errors (corrupt, foreign, truncated, not a
// cacheable completion) mean: ignore it and delete it.
Result<Json> decode_entry(std::string_view bytes, std::string_view key);

}  // namespace hearth::cache
