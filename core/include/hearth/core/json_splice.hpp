#pragma once
// Editing one member of a JSON object's text without parsing it into a tree: the proxy path
// forwards the client's bytes with only `model` changed, which is much cheaper than a
// parse and a dump of the whole body.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hearth {

// `object_text` (one valid JSON object, as checked by a parser earlier) with the value of
// every top-level member named `key` replaced by the JSON string `value`, or with the member
// put first when there is none. nullopt when the text cannot be edited safely: it is not an
// object, or a top-level key is written with escapes (it might spell `key`).
std::optional<std::string> with_string_member(std::string_view object_text, std::string_view key,
                                              std::string_view value);

// `text` with its bytes [begin, end) (one JSON value, found by a reader earlier) replaced by
// the JSON string `value`.
std::string with_string_at(std::string_view text, std::size_t begin, std::size_t end,
                           std::string_view value);

}  // namespace hearth
