#pragma once
// Text <-> token ids with the vocabulary stored in a GGUF file. Supported:
// SentencePiece-style (`tokenizer.ggml.model = llama`: score-driven merges, byte fallback,
// "▁" for spaces with an optional leading one) and byte-level BPE (`gpt2`: ranked merges
// from `tokenizer.ggml.merges` over GPT-2's byte alphabet, after the pre-tokenizer named by
// `tokenizer.ggml.pre`). Immutable after construction: thread-safe.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hearth/core/result.hpp"
#include "hearth/localnode/gguf.hpp"
#include "hearth/localnode/pre_tokenizer.hpp"

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

enum class TokenizerModel { Spm, Bpe };

class Tokenizer {
 public:
  // Reads the vocabulary; errors name the missing or malformed key, or the unsupported
  // tokenizer model. A BPE pre-tokenizer name that is not supported falls back to GPT-2's
  // with a warning (see warnings()).
  [[nodiscard]] static Result<Tokenizer> from_gguf(const GgufFile& file);

  // Tokenizes `text`. With `add_special`, prepends BOS when the vocabulary asks for it
  // (tokenizer.ggml.add_bos_token; default true for SPM and Llama 3's BPE, false for other
  // BPE). With `parse_special`, control tokens written in the text (e.g. "<s>") become their
  // ids; user-defined tokens always do.
  std::vector<int32_t> encode(std::string_view text, bool add_special,
                              bool parse_special = false) const;

  // The bytes a token stands for (SPM: "▁" as a space, <0xNN> as that byte; BPE: GPT-2's
  // characters as their bytes; control tokens are empty). Pieces of one character may be
  // split across tokens: see Detokenizer for streaming.
  std::string token_to_piece(int32_t id) const;
  std::string decode(const std::vector<int32_t>& ids) const;

  TokenizerModel model() const { return model_; }
  // The BPE pre-tokenizer in use ("gpt-2", "llama3", "qwen2", "smollm"); empty for SPM.
  std::string_view pre_tokenizer() const;
  // Notes from loading (an unsupported pre-tokenizer replaced by GPT-2's), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  size_t n_vocab() const { return tokens_.size(); }
  const std::string& token_text(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  TokenType token_type(int32_t id) const { return types_[static_cast<size_t>(id)]; }
  // The id of the token with exactly this text, or -1.
  int32_t find(std::string_view text) const;
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  bool add_bos() const { return add_bos_; }
  // End of generation: EOS, EOT, EOM, or a control token whose text ends turns in common
  // chat formats (<|im_end|>, <|eot_id|>, <|end|>, <end_of_turn>, <|endoftext|>, ...).
  bool is_eog(int32_t id) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

  [[nodiscard]] Status load_bpe(const GgufFile& file);
  void encode_spm(std::string_view text, std::vector<int32_t>& out) const;
  void encode_bpe(std::string_view text, std::vector<int32_t>& out) const;
  void encode_bpe_word(std::string_view word, std::vector<int32_t>& out) const;
  // The rank of merging `left` and `right` (lower merges first), or -1.
  int32_t merge_rank(std::string_view left, std::string_view right) const;

  TokenizerModel model_ = TokenizerModel::Spm;
  PreTokenizer pre_ = PreTokenizer::Gpt2;
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  TokenMap index_;
  TokenMap merges_;             // "left right" -> rank (BPE)
  bool ignore_merges_ = false;  // BPE: a word that is a whole token is taken as it is
  // Special tokens (control, user-defined, unknown) by their first byte, longest text first.
  std::array<std::vector<int32_t>, 256> special_;
  std::vector<int32_t> eog_;  // sorted
  std::vector<std::string> warnings_;
  int32_t byte_tokens_[256] = {};
  int32_t bos_ = -1;
  int32_t eos_ = -1;
  int32_t eot_ = -1;
  int32_t unk_ = -1;
  bool add_bos_ = true;
  bool add_space_prefix_ = true;
};

}  // namespace hearth::localnode
