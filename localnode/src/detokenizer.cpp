#include "hearth/localnode/detokenizer.hpp"

#include "unicode.hpp"

namespace hearth::localnode {

std::string Detokenizer::push(int32_t id) {
  return push_bytes(tokenizer_.token_to_piece(id));
}

std::string Detokenizer::push_bytes(std::string_view bytes) {
  pending_.append(bytes);
  // Emit up to the start of an unfinished character; keep that for the next token.
  const size_t n = unicode::complete_utf8_prefix(pending_);
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  return out;
}

std::string Detokenizer::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace hearth::localnode
