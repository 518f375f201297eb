#pragma once
// Text <-> token ids with the vocabulary stored in a GGUF file. Supported:
// SentencePiece-style (`tokenizer.ggml.model = llama`: score-driven merges, byte fallback,
// "▁" for spaces with an optional leading one). Immutable after construction: thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/gguf.hpp"

namespace hearth::localnode {

// Token types as GGUF stores them (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

class Tokenizer {
 public:
  // Reads the vocabulary; errors name the missing or malformed key, or the unsupported
  // tokenizer model.
  [[nodiscard]] static Result<Tokenizer> from_gguf(const GgufFile& file);

  // Tokenizes `text`. With `add_special`, prepends BOS when the vocabulary asks for it
  // (tokenizer.ggml.add_bos_token, default true for SPM). With `parse_special`, control
  // tokens written in the text (e.g. "<s>") become their ids; user-defined tokens always do.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special = false) const;

  // The bytes a token stands for ("▁" as a space, <0xNN> as that byte; control tokens are
  // empty). Pieces of one character may be split across byte tokens.
  std::string token_to_piece(int32_t id) const;
  std::string decode(const std::vector<int32_t>& ids) const;

  size_t n_vocab() const { return tokens_.size(); }
  const std::string& token_text(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  // End of generation: EOS, EOT or another end-of-generation control token.
  bool is_eog(int32_t id) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  int32_t find(std::string_view text) const;
  void encode_spm(std::string_view text, std::vector<int32_t>& out) const;

  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  TokenMap index_;
  std::vector<int32_t> special_;  // control and user-defined tokens, longest text first
  int32_t byte_tokens_[256] = {};
  int32_t bos_ = -1;
  int32_t eos_ = -1;
  int32_t eot_ = -1;
  int32_t unk_ = -1;
  bool add_bos_ = true;
  bool add_space_prefix_ = true;
};

}  // namespace hearth::localnode
