#include "hearth/localnode/tokenizer.hpp"

#include <algorithm>
#include <cstdio>

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
    return vocab_error(file, "'" + key + "' = " + std::to_string(**v) + " is outside the vocabulary");
  }
  return static_cast<int32_t>(**v);
}

}  // namespace

Result<Tokenizer> Tokenizer::from_gguf(const GgufFile& file) {
  auto model = file.get_string("tokenizer.ggml.model");
  if (!model) return std::move(model).error();
  if (!model->has_value()) return vocab_error(file, "missing 'tokenizer.ggml.model'");
  if (**model != "llama") {
    return vocab_error(file, "tokenizer model '" + std::string(**model) + "' is not supported (supported: llama)");
  }

  const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != GgufType::Array || tokens->elem_type != GgufType::String) {
    return vocab_error(file, "missing or malformed 'tokenizer.ggml.tokens' (an array of strings)");
  }
  const size_t n = tokens->strings.size();
  if (n == 0 || n > (1u << 30)) return vocab_error(file, "vocabulary size " + std::to_string(n) + " is out of range");

  Tokenizer tok;
  tok.tokens_.reserve(n);
  for (std::string_view s : tokens->strings) tok.tokens_.emplace_back(s);

  tok.scores_.assign(n, 0.0f);
  if (const GgufValue* scores = file.find("tokenizer.ggml.scores")) {
    if (scores->type != GgufType::Array || !(scores->elem_type == GgufType::Float32) || scores->count != n) {
      return vocab_error(file, "'tokenizer.ggml.scores' must be " + std::to_string(n) + " float32 values");
    }
    for (size_t i = 0; i < n; ++i) tok.scores_[i] = static_cast<float>(scores->array_f64(i));
  }
  tok.types_.assign(n, TokenType::Normal);
  if (const GgufValue* types = file.find("tokenizer.ggml.token_type")) {
    if (types->type != GgufType::Array || types->elem_type != GgufType::Int32 || types->count != n) {
      return vocab_error(file, "'tokenizer.ggml.token_type' must be " + std::to_string(n) + " int32 values");
    }
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = types->array_i64(i);
      if (t < 0 || t > static_cast<int64_t>(TokenType::Byte)) {
        return vocab_error(file, "token " + std::to_string(i) + " has unknown type " + std::to_string(t));
      }
      tok.types_[i] = static_cast<TokenType>(t);
    }
  }

  // Index the texts; on duplicates the first id wins.
  tok.index_.reserve(n);
  for (size_t i = 0; i < n; ++i) tok.index_.emplace(tok.tokens_[i], static_cast<int32_t>(i));

  // Byte fallback tokens <0x00> .. <0xFF>.
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tok.byte_tokens_[b] = tok.find(name);
  }

  auto read = [&](const char* key, int32_t* out) -> Status {
    auto id = read_id(file, key, n);
    if (!id) return std::move(id).error();
    if (*id >= 0) *out = *id;
    return {};
  };
  tok.bos_ = 1;
  tok.eos_ = 2;
  tok.unk_ = 0;
  if (auto st = read("tokenizer.ggml.bos_token_id", &tok.bos_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.eos_token_id", &tok.eos_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.eot_token_id", &tok.eot_); !st) return std::move(st).error();
  if (auto st = read("tokenizer.ggml.unknown_token_id", &tok.unk_); !st) return std::move(st).error();
  if (static_cast<size_t>(std::max({tok.bos_, tok.eos_, tok.unk_})) >= n) {
    return vocab_error(file, "default BOS/EOS/UNK ids (1/2/0) are outside the vocabulary");
  }
  auto add_bos = file.get_bool("tokenizer.ggml.add_bos_token");
  if (!add_bos) return std::move(add_bos).error();
  tok.add_bos_ = add_bos->value_or(true);
  auto space = file.get_bool("tokenizer.ggml.add_space_prefix");
  if (!space) return std::move(space).error();
  tok.add_space_prefix_ = space->value_or(true);

  for (size_t i = 0; i < n; ++i) {
    if ((tok.types_[i] == TokenType::Control || tok.types_[i] == TokenType::UserDefined) && !tok.tokens_[i].empty()) {
      tok.special_.push_back(static_cast<int32_t>(i));
    }
  }
  std::stable_sort(tok.special_.begin(), tok.special_.end(), [&](int32_t a, int32_t b) {
    return tok.tokens_[static_cast<size_t>(a)].size() > tok.tokens_[static_cast<size_t>(b)].size();
  });
  return tok;
}

int32_t Tokenizer::find(std::string_view text) const {
  auto it = index_.find(text);
  return it == index_.end() ? -1 : it->second;
}

bool Tokenizer::is_eog(int32_t id) const { return id >= 0 && (id == eos_ || id == eot_); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  if (add_special && add_bos_) out.push_back(bos_);

  // Split the text at special tokens (longest match first); the plain runs between them
  // go through the SentencePiece merges, each with a leading space after BOS or a special
  // token.
  bool prev_special = true;
  size_t plain_begin = 0;
  auto flush = [&](size_t end) {
    if (end > plain_begin) {
      std::string piece;
      if (add_space_prefix_ && prev_special) piece = " ";
      piece.append(text.substr(plain_begin, end - plain_begin));
      encode_spm(piece, out);
      prev_special = false;
    }
  };
  for (size_t pos = 0; pos < text.size();) {
    int32_t match = -1;
    for (int32_t id : special_) {
      if (!parse_special && types_[static_cast<size_t>(id)] == TokenType::Control) continue;
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
    case TokenType::Byte:
      if (t.size() == 6 && t.starts_with("<0x") && t.back() == '>') {
        return std::string(1, static_cast<char>(std::stoi(t.substr(3, 2), nullptr, 16)));
      }
      return t;
    case TokenType::Unknown: return "\xE2\x96\x85";
    case TokenType::UserDefined: return t;
    case TokenType::Control:
    case TokenType::Unused: return {};
  }
  return {};
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += token_to_piece(id);
  return out;
}

}  // namespace hearth::localnode
