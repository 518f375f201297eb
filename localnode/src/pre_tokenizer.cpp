// Each matcher below tries the alternatives of its regular expression in order at the
// current character, the way a backtracking regex engine would, and takes the first that
// matches; then it goes on after the match. Everything a regex split would leave between
// matches is a piece too, so the pieces always cover the text.

#include "hearth/localnode/pre_tokenizer.hpp"

#include <array>
#include <utility>

#include "unicode.hpp"

namespace hearth::localnode {
namespace {

struct Char {
  uint32_t cp;
  size_t offset;  // of its first byte in the text
  uint8_t cls;
};

// The text as characters, with a sentinel whose offset is the text's end.
class Chars {
 public:
  Chars(std::string_view text, size_t begin, size_t end) {
    for (size_t pos = begin; pos < end;) {
      const unicode::Decoded d = unicode::decode_utf8(text, pos);
      chars_.push_back({d.cp, pos, unicode::char_class(d.cp)});
      pos += d.len;
    }
    chars_.push_back({0, end, 0});
  }
  size_t size() const { return chars_.size() - 1; }
  size_t offset(size_t i) const { return chars_[i].offset; }
  // Out-of-range positions read as no character at all.
  uint32_t cp(size_t i) const { return i < size() ? chars_[i].cp : unicode::kInvalid; }
  bool letter(size_t i) const { return i < size() && (chars_[i].cls & unicode::kLetter); }
  bool number(size_t i) const { return i < size() && (chars_[i].cls & unicode::kNumber); }
  bool space(size_t i) const { return i < size() && (chars_[i].cls & unicode::kWhitespace); }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return i < size() && chars_[i].cls == 0; }
  bool newline(size_t i) const { return cp(i) == '\r' || cp(i) == '\n'; }

 private:
  std::vector<Char> chars_;
};

uint32_t ascii_lower(uint32_t cp) {
  return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
}

// 's 't 'm 'd 're 've 'll at `i`: the match length in characters, or 0.
size_t contraction(const Chars& c, size_t i, bool any_case) {
  if (c.cp(i) != '\'') return 0;
  auto at = [&](size_t k) { return any_case ? ascii_lower(c.cp(k)) : c.cp(k); };
  const uint32_t a = at(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  const uint32_t b = at(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

template <class Pred>
size_t run(const Chars& c, size_t i, Pred pred) {
  while (i < c.size() && pred(i)) ++i;
  return i;
}

// The end of the match at `i` (> i) for GPT-2's expression.
size_t match_gpt2(const Chars& c, size_t i) {
  if (size_t n = contraction(c, i, false)) return i + n;
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
  const size_t k = c.cp(i) == ' ' ? i + 1 : i;
  if (c.letter(k)) return run(c, k, [&](size_t j) { return c.letter(j); });
  if (c.number(k)) return run(c, k, [&](size_t j) { return c.number(j); });
  if (c.other(k)) return run(c, k, [&](size_t j) { return c.other(j); });
  // `\s+(?!\S)`: leave the last white space before a non-space to the next word; `\s+`.
  if (c.space(i)) {
    const size_t end = run(c, i, [&](size_t j) { return c.space(j); });
    return end < c.size() && end - i > 1 ? end - 1 : end;
  }
  return i + 1;  // unreachable: every character is a letter, number, space or other
}

// The end of the match at `i` for Llama 3's expression (Qwen2's with `max_digits` 1).
size_t match_llama3(const Chars& c, size_t i, size_t max_digits) {
  if (size_t n = contraction(c, i, true)) return i + n;
  // `[^\r\n\p{L}\p{N}]?\p{L}+`
  if (!c.newline(i) && !c.letter(i) && !c.number(i) && c.letter(i + 1)) {
    return run(c, i + 1, [&](size_t j) { return c.letter(j); });
  }
  if (c.letter(i)) return run(c, i, [&](size_t j) { return c.letter(j); });
  // `\p{N}{1,3}`
  if (c.number(i)) {
    size_t end = i;
    while (end < c.size() && end - i < max_digits && c.number(end)) ++end;
    return end;
  }
  // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
  const size_t k = c.cp(i) == ' ' ? i + 1 : i;
  if (c.other(k)) {
    const size_t end = run(c, k, [&](size_t j) { return c.other(j); });
    return run(c, end, [&](size_t j) { return c.newline(j); });
  }
  if (c.space(i)) {
    const size_t end = run(c, i, [&](size_t j) { return c.space(j); });
    // `\s*[\r\n]+`: up to the last line break in the run of white space.
    for (size_t j = end; j-- > i;) {
      if (c.newline(j)) return j + 1;
    }
    // `\s+(?!\S)`, `\s+`
    return end < c.size() && end - i > 1 ? end - 1 : end;
  }
  return i + 1;
}

template <class Match>
void split(std::string_view text, size_t begin, size_t end, Match match,
           std::vector<std::string_view>& out) {
  const Chars c(text, begin, end);
  for (size_t i = 0; i < c.size();) {
    const size_t next = match(c, i);
    out.push_back(text.substr(c.offset(i), c.offset(next) - c.offset(i)));
    i = next;
  }
}

constexpr std::array<std::pair<std::string_view, PreTokenizer>, 15> kNames = {{
    {"default", PreTokenizer::Gpt2},
    {"gpt-2", PreTokenizer::Gpt2},
    {"gpt2", PreTokenizer::Gpt2},
    {"phi-2", PreTokenizer::Gpt2},
    {"mpt", PreTokenizer::Gpt2},
    {"olmo", PreTokenizer::Gpt2},
    {"llama3", PreTokenizer::Llama3},
    {"llama-v3", PreTokenizer::Llama3},
    {"llama-bpe", PreTokenizer::Llama3},
    {"qwen2", PreTokenizer::Qwen2},
    {"deepseek-r1-qwen", PreTokenizer::Qwen2},
    {"smollm", PreTokenizer::SmolLm},
    {"starcoder", PreTokenizer::SmolLm},
    {"refact", PreTokenizer::SmolLm},
    {"codeshell", PreTokenizer::SmolLm},
}};

}  // namespace

std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name) {
  if (name.empty()) return PreTokenizer::Gpt2;
  for (const auto& [n, pre] : kNames) {
    if (n == name) return pre;
  }
  return std::nullopt;
}

std::string_view to_string(PreTokenizer pre) {
  switch (pre) {
    case PreTokenizer::Gpt2:
      return "gpt-2";
    case PreTokenizer::Llama3:
      return "llama3";
    case PreTokenizer::Qwen2:
      return "qwen2";
    case PreTokenizer::SmolLm:
      return "smollm";
  }
  return "?";
}

std::vector<std::string_view> pre_tokenize(PreTokenizer pre, std::string_view text) {
  std::vector<std::string_view> out;
  switch (pre) {
    case PreTokenizer::Gpt2:
      split(text, 0, text.size(), match_gpt2, out);
      break;
    case PreTokenizer::Llama3:
      split(
          text, 0, text.size(), [](const Chars& c, size_t i) { return match_llama3(c, i, 3); },
          out);
      break;
    case PreTokenizer::Qwen2:
      split(
          text, 0, text.size(), [](const Chars& c, size_t i) { return match_llama3(c, i, 1); },
          out);
      break;
    case PreTokenizer::SmolLm: {
      // Every number character alone; GPT-2's expression on the text between them.
      const Chars c(text, 0, text.size());
      size_t segment = 0;
      for (size_t i = 0; i <= c.size(); ++i) {
        if (i < c.size() && !c.number(i)) continue;
        split(text, c.offset(segment), c.offset(i), match_gpt2, out);
        if (i < c.size()) out.push_back(text.substr(c.offset(i), c.offset(i + 1) - c.offset(i)));
        segment = i + 1;
      }
      break;
    }
  }
  return out;
}

}  // namespace hearth::localnode
