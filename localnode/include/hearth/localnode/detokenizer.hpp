#pragma once
// Streaming detokenization: turns generated tokens into text chunks that never end inside a
// UTF-8 character, even when a character's bytes come in several tokens (byte fallback, or
// a byte-level BPE token that holds part of one). Bytes that are not valid UTF-8 pass
// through unchanged as soon as they cannot start a character, so the chunks always add up to
// Tokenizer::decode of all the tokens. One Detokenizer per stream; not thread-safe; the
// Tokenizer must outlive it.

#include <cstdint>
#include <string>

#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

class Detokenizer {
 public:
  explicit Detokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // Adds a token; returns the text that is now complete (possibly empty).
  std::string push(int32_t id);
  // Adds raw bytes (a token's piece, for callers that have it); returns the complete text.
  std::string push_bytes(std::string_view bytes);
  // Returns whatever is held back (an unfinished character at the end of the stream).
  std::string flush();
  // The bytes held back so far.
  size_t pending() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace hearth::localnode
