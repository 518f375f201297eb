#include "hearth/localnode/tokenizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hearth/localnode/pre_tokenizer.hpp"
#include "unicode.hpp"

namespace hearth::localnode {
namespace {

Error vocab_error(const GgufFile& file, const std::string& what) {
  return make_error(ErrorCode::InvalidRequest, "tokenizer in " + file.name() + ": " + what);
}

Result<int32_t> read_id(const GgufFile& file, const std::string& key, size_t n_vocab) {
  auto v = file.get_uint(key);
  if (!v) return std::move(v).error();
  if (!v->has_value()) return -1;
  if (**v >= n_vocab) {
    return vocab_error(file,
                       "'" + key + "' = " + std::to_string(**v) + " is outside the vocabulary");
  }
  return static_cast<int32_t>(**v);
}

// Control tokens that end a turn in common chat formats: generation stops at them too.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|eom_id|>",    "<|end_of_text|>", "<|im_end|>",
    "<|end|>",    "<end_of_turn>", "<|endoftext|>",   "<EOT>",
};

}  // namespace

Result<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  auto model = file.get_string("tokenizer.ggml.model");
  if (!model) return std::move(model).error();
  if (!model->has_value()) return vocab_error(file, "missing 'tokenizer.ggml.model'");
  Tokenizer tok;
  if (**model == "llama") {
    tok.model_ = TokenizerModel::Spm;
  } else if (**model == "gpt2") {
    tok.model_ = TokenizerModel::Bpe;
  } else {
    return vocab_error(file, "tokenizer model '" + std::string(**model) +
                                 "' is not supported (supported: llama, gpt2)");
  }

  const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != GgufType::Array ||
      tokens->elem_type != GgufType::String) {
    return vocab_error(file, "missing or malformed 'tokenizer.ggml.tokens' (an array of strings)");
  }
  const size_t n = tokens->strings.size();
  if (n == 0 || n > (1u << 30))
    return vocab_error(file, "vocabulary size " + std::to_string(n) + " is out of range");

  tok.tokens_.reserve(n);
  for (std::string_view s : tokens->strings) tok.tokens_.emplace_back(s);

  tok.scores_.assign(n, 0.0f);
  if (const GgufValue* scores = file.find("tokenizer.ggml.scores")) {
    if (scores->type != GgufType::Array || !(scores->elem_type == GgufType::Float32) ||
        scores->count != n) {
      return vocab_error(
          file, "'tokenizer.ggml.scores' must be " + std::to_string(n) + " float32 values");
    }
    for (size_t i = 0; i < n; ++i) {
      const double score = scores->array_f64(i);
      tok.scores_[i] = score == score ? static_cast<float>(score)
                                      : -INFINITY;  // NaN would break the merge order
    }
  }
  tok.types_.assign(n, TokenType::Normal);
  if (const GgufValue* types = file.find("tokenizer.ggml.token_type")) {
    if (types->type != GgufType::Array || types->elem_type != GgufType::Int32 ||
        types->count != n) {
      return vocab_error(
          file, "'tokenizer.ggml.token_type' must be " + std::to_string(n) + " int32 values");
    }
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = types->array_i64(i);
      if (t < 0 || t > static_cast<int64_t>(TokenType::Byte)) {
        return vocab_error(file,
                           "token " + std::to_string(i) + " has unknown type " + std::to_string(t));
      }
      tok.types_[i] = static_cast<TokenType>(t);
    }
  }

  // Index the texts; on duplicates the first id wins.
  tok.index_.reserve(n);
  for (size_t i = 0; i < n; ++i) tok.index_.emplace(tok.tokens_[i], static_cast<int32_t>(i));

  // Byte fallback tokens: SPM's <0x00> .. <0xFF>; BPE's one-character tokens of GPT-2's
  // byte alphabet.
  for (int b = 0; b < 256; ++b) {
    if (tok.model_ == TokenizerModel::Spm) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      tok.byte_tokens_[b] = tok.find(name);
    } else {
      tok.byte_tokens_[b] = tok.find(unicode::byte_char(static_cast<uint8_t>(b)));
    }
  }

  auto read = [&](const char* key, int32_t* out) -> Status {
    auto id = read_id(file, key, n);
    if (!id) return std::move(id).error();
    if (*id >= 0) *out = *id;
    return {};
  };
  if (tok.model_ == TokenizerModel::Spm) {
    tok.bos_ = 1;
    tok.eos_ = 2;
    tok.unk_ = 0;
    if (static_cast<size_t>(std::max({tok.bos_, tok.eos_, tok.unk_})) >= n) {
      return vocab_error(file, "default BOS/EOS/UNK ids (1/2/0) are outside the vocabulary");
    }
  }
  int32_t eom = -1;
  if (auto st = read("tokenizer.ggml.bos_token_id", &tok.bos_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.eos_token_id", &tok.eos_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.eot_token_id", &tok.eot_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.eom_token_id", &eom); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.unknown_token_id", &tok.unk_); !st)
    return std::move(st).error();

  if (tok.model_ == TokenizerModel::Bpe) {
    if (auto st = tok.load_bpe(file); !st) return std::move(st).error();
  }

  auto add_bos = file.get_bool("tokenizer.ggml.add_bos_token");
  if (!add_bos) return std::move(add_bos).error();
  const bool bos_default = tok.model_ == TokenizerModel::Spm || tok.pre_ == PreTokenizer::Llama3;
  tok.add_bos_ = add_bos->value_or(bos_default) && tok.bos_ >= 0;
  auto space = file.get_bool("tokenizer.ggml.add_space_prefix");
  if (!space) return std::move(space).error();
  tok.add_space_prefix_ = space->value_or(true);

  // Special tokens, matched whole in the text before the merges: longest first.
  for (size_t i = 0; i < n; ++i) {
    const TokenType t = tok.types_[i];
    if ((t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown) &&
        !tok.tokens_[i].empty()) {
      tok.special_[static_cast<uint8_t>(tok.tokens_[i][0])].push_back(static_cast<int32_t>(i));
    }
  }
  for (auto& list : tok.special_) {
    std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) {
      return tok.tokens_[static_cast<size_t>(a)].size() >
             tok.tokens_[static_cast<size_t>(b)].size();
    });
  }

  // End of generation: the ids the file names, and the end-of-turn tokens it has.
  for (int32_t id : {tok.eos_, tok.eot_, eom}) {
    if (id >= 0) tok.eog_.push_back(id);
  }
  for (std::string_view text : kEndOfTurnTexts) {
    const int32_t id = tok.find(text);
    if (id < 0) continue;
    const TokenType t = tok.types_[static_cast<size_t>(id)];
    if (t != TokenType::Control && t != TokenType::UserDefined) continue;
    tok.eog_.push_back(id);
    if (tok.eot_ < 0 && text != "<|endoftext|>" && text != "<|end_of_text|>") tok.eot_ = id;
  }
  std::sort(tok.eog_.begin(), tok.eog_.end());
  tok.eog_.erase(std::unique(tok.eog_.begin(), tok.eog_.end()), tok.eog_.end());
  return tok;
}

Status Tokenizer::load_bpe(const GgufFile& file) {
  auto pre = file.get_string("tokenizer.ggml.pre");
  if (!pre) return std::move(pre).error();
  const std::string_view pre_name = pre->value_or("");
  if (auto known = pre_tokenizer_from_name(pre_name)) {
    pre_ = *known;
  } else {
    pre_ = PreTokenizer::Gpt2;
    warnings_.push_back(
        "tokenizer in " + file.name() + ": pre-tokenizer '" + std::string(pre_name) +
        "' is not supported; using GPT-2's (tokens may differ from the model's own tokenizer)");
  }
  ignore_merges_ = pre_ == PreTokenizer::Llama3;

  const GgufValue* merges = file.find("tokenizer.ggml.merges");
  if (merges == nullptr || merges->type != GgufType::Array ||
      merges->elem_type != GgufType::String) {
    return vocab_error(file, "missing or malformed 'tokenizer.ggml.merges' (an array of strings)");
  }
  merges_.reserve(merges->strings.size());
  for (size_t i = 0; i < merges->strings.size(); ++i) {
    const std::string_view m = merges->strings[i];
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos || space + 1 >= m.size()) {
      return vocab_error(file,
                         "merge " + std::to_string(i) + " is not two pieces separated by a space");
    }
    merges_.emplace(std::string(m), static_cast<int32_t>(std::min<size_t>(i, INT32_MAX)));
  }
  return {};
}

std::string_view Tokenizer::pre_tokenizer() const {
  return model_ == TokenizerModel::Bpe ? to_string(pre_) : std::string_view();
}

int32_t Tokenizer::find(std::string_view text) const {
  auto it = index_.find(text);
  return it == index_.end() ? -1 : it->second;
}

bool Tokenizer::is_eog(int32_t id) const {
  return id >= 0 && std::binary_search(eog_.begin(), eog_.end(), id);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  if (add_special && add_bos_) out.push_back(bos_);

  // Split the text at special tokens (the longest at each position); the plain runs between
  // them go through the model's merges. SPM gives each run after the start or a special
  // token a leading space.
  bool prev_special = true;
  size_t plain_begin = 0;
  auto flush = [&](size_t end) {
    if (end <= plain_begin) return;
    const std::string_view plain = text.substr(plain_begin, end - plain_begin);
    if (model_ == TokenizerModel::Bpe) {
      encode_bpe(plain, out);
    } else if (add_space_prefix_ && prev_special) {
      encode_spm(" " + std::string(plain), out);
    } else {
      encode_spm(plain, out);
    }
    prev_special = false;
  };
  for (size_t pos = 0; pos < text.size();) {
    int32_t match = -1;
    for (int32_t id : special_[static_cast<uint8_t>(text[pos])]) {
      if (!parse_special && types_[static_cast<size_t>(id)] != TokenType::UserDefined) continue;
      if (text.substr(pos).starts_with(tokens_[static_cast<size_t>(id)])) {
        match = id;
        break;
      }
    }
    if (match < 0) {
      ++pos;
      continue;
    }
    flush(pos);
    out.push_back(match);
    prev_special = true;
    pos += tokens_[static_cast<size_t>(match)].size();
    plain_begin = pos;
  }
  flush(text.size());
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size()) return {};
  const std::string& t = tokens_[static_cast<size_t>(id)];
  switch (types_[static_cast<size_t>(id)]) {
    case TokenType::Normal:
    case TokenType::Undefined: {
      std::string out;
      out.reserve(t.size());
      if (model_ == TokenizerModel::Bpe) {
        // GPT-2's characters back to their bytes; a character outside the alphabet as itself.
        for (size_t i = 0; i < t.size();) {
          const unicode::Decoded d = unicode::decode_utf8(t, i);
          const int b = d.cp == unicode::kInvalid ? -1 : unicode::char_byte(d.cp);
          if (b >= 0) {
            out += static_cast<char>(b);
          } else {
            out.append(t, i, d.len);
          }
          i += d.len;
        }
        return out;
      }
      for (size_t i = 0; i < t.size(); ++i) {
        if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
          out += ' ';
          i += 2;
        } else {
          out += t[i];
        }
      }
      return out;
    }
    case TokenType::Byte: {
      unsigned value = 0;
      if (t.size() == 6 && t.starts_with("<0x") && t.back() == '>' &&
          std::sscanf(t.c_str() + 3, "%2x", &value) == 1) {
        return std::string(1, static_cast<char>(value));
      }
      return t;
    }
    case TokenType::Unknown:
      return "\xE2\x96\x85";
    case TokenType::UserDefined:
      return t;
    case TokenType::Control:
    case TokenType::Unused:
      return {};
  }
  return {};
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_to_piece(id);
  return out;
}

}  // namespace hearth::localnode
