#pragma once
// Byte-level BPE pre-tokenizers: split text into the words that BPE merges never cross, as
// the regular expressions of each model family do (hand-written matchers of those
// expressions; see pre_tokenizer.cpp for each one). Pure functions: thread-safe.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hearth::localnode {

enum class PreTokenizer : uint8_t {
  Gpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Llama3,  // case-insensitive contractions, [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}{1,3}, ...
  Qwen2,   // Llama 3's expression with single digits
  SmolLm,  // every digit alone (\p{N}), then GPT-2's expression
};

// The pre-tokenizer for a `tokenizer.ggml.pre` name; nullopt for names not supported.
// An absent name and "default" are GPT-2's expression.
std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name);
std::string_view to_string(PreTokenizer pre);

// Splits `text` into consecutive non-empty pieces that cover it exactly (views into
// `text`). Bytes that are not valid UTF-8 count as characters of no class.
std::vector<std::string_view> pre_tokenize(PreTokenizer pre, std::string_view text);

}  // namespace hearth::localnode
