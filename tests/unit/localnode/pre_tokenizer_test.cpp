// The byte-level BPE pre-tokenizers against the splits their regular expressions make
// (checked with Python's `regex` module when these cases were written).

#include "hearth/localnode/pre_tokenizer.hpp"

#include <gtest/gtest.h>

namespace hearth::localnode {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(PreTokenizer pre, std::string_view text) {
  Pieces out;
  for (std::string_view p : pre_tokenize(pre, text)) out.emplace_back(p);
  return out;
}

struct Case {
  std::string text;
  Pieces want;
};

void check(PreTokenizer pre, const std::vector<Case>& cases) {
  for (const Case& c : cases)
    EXPECT_EQ(split(pre, c.text), c.want) << to_string(pre) << ": '" << c.text << "'";
}

TEST(PreTokenizer, Gpt2) {
  check(PreTokenizer::Gpt2, {
                                {"", {}},
                                {"Hello world", {"Hello", " world"}},
                                {"I'm here's 'S", {"I", "'m", " here", "'s", " '", "S"}},
                                {"you'll've", {"you", "'ll", "'ve"}},
                                {"   Hello", {"  ", " Hello"}},
                                {"a\n\nb", {"a", "\n", "\n", "b"}},
                                {"x 123 !! ?", {"x", " 123", " !!", " ?"}},
                                {"trailing   ", {"trailing", "   "}},
                                {"\t\tx", {"\t", "\t", "x"}},
                                {"héllo wörld 東京 ½", {"héllo", " wörld", " 東京", " ½"}},
                                {"e\xCC\x81t\xC3\xA9",
                                 {"e", "\xCC\x81", "t\xC3\xA9"}},  // a combining mark is no letter
                                {"3.14", {"3", ".", "14"}},
                            });
}

TEST(PreTokenizer, Llama3) {
  check(PreTokenizer::Llama3, {
                                  {"Hello world", {"Hello", " world"}},
                                  {"I'M YOU'LL", {"I", "'M", " YOU", "'LL"}},
                                  {"12345", {"123", "45"}},
                                  {" 12", {" ", "12"}},
                                  {"a\n\n  b", {"a", "\n\n", " ", " b"}},
                                  {"(hello)", {"(hello", ")"}},
                                  {"x!!\n\ny", {"x", "!!\n\n", "y"}},
                                  {"\tx", {"\tx"}},
                                  {"a \n b", {"a", " \n", " b"}},
                                  {"end  ", {"end", "  "}},
                                  {"東京123", {"東京", "123"}},
                              });
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  check(PreTokenizer::Qwen2, {
                                 {"12345", {"1", "2", "3", "4", "5"}},
                                 {"I'M 42!", {"I", "'M", " ", "4", "2", "!"}},
                             });
}

TEST(PreTokenizer, SmolLmSplitsDigitsThenGpt2) {
  check(PreTokenizer::SmolLm, {
                                  {"abc 123d", {"abc", " ", "1", "2", "3", "d"}},
                                  {"x 1 y", {"x", " ", "1", " y"}},
                                  {"Hello world", {"Hello", " world"}},
                              });
}

TEST(PreTokenizer, InvalidUtf8BytesAreKeptAsOtherCharacters) {
  EXPECT_EQ(split(PreTokenizer::Gpt2,
                  "a\xFF\xFE"
                  "b"),
            (Pieces{"a", "\xFF\xFE", "b"}));
  EXPECT_EQ(split(PreTokenizer::Llama3, "\xC3"), (Pieces{"\xC3"}));
  // The pieces always cover the text exactly.
  const std::string text = "x\xE2\x82 \xF0\x9F\x98 y\xC0\xAF 9";
  for (PreTokenizer pre :
       {PreTokenizer::Gpt2, PreTokenizer::Llama3, PreTokenizer::Qwen2, PreTokenizer::SmolLm}) {
    std::string joined;
    for (const auto& p : split(pre, text)) {
      EXPECT_FALSE(p.empty());
      joined += p;
    }
    EXPECT_EQ(joined, text) << to_string(pre);
  }
}

TEST(PreTokenizer, Names) {
  EXPECT_EQ(pre_tokenizer_from_name("gpt-2"), PreTokenizer::Gpt2);
  EXPECT_EQ(pre_tokenizer_from_name(""), PreTokenizer::Gpt2);
  EXPECT_EQ(pre_tokenizer_from_name("default"), PreTokenizer::Gpt2);
  EXPECT_EQ(pre_tokenizer_from_name("llama-bpe"), PreTokenizer::Llama3);
  EXPECT_EQ(pre_tokenizer_from_name("llama3"), PreTokenizer::Llama3);
  EXPECT_EQ(pre_tokenizer_from_name("qwen2"), PreTokenizer::Qwen2);
  EXPECT_EQ(pre_tokenizer_from_name("smollm"), PreTokenizer::SmolLm);
  EXPECT_EQ(pre_tokenizer_from_name("tekken"), std::nullopt);
}

}  // namespace
}  // namespace hearth::localnode
