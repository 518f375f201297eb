// The SentencePiece-style tokenizer on a small vocabulary the test builds: score-ordered
// merges, leftmost ties, byte fallback, the leading space, special tokens, decoding.

#include <gtest/gtest.h>

#include "gguf_writer.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {
namespace {

using testing::GgufWriter;

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  void add(const std::string& t, float score, int32_t type = 1) {
    tokens.push_back(t);
    scores.push_back(score);
    types.push_back(type);
  }
};

Vocab base_vocab() {
  Vocab v;
  v.add("<unk>", 0, 2);
  v.add("<s>", 0, 3);
  v.add("</s>", 0, 3);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.add(name, 0, 6);
  }
  // ids 259 ..
  v.add("▁", -1);      // 259
  v.add("h", -2);      // 260
  v.add("e", -3);      // 261
  v.add("l", -4);      // 262
  v.add("o", -5);      // 263
  v.add("he", -6);     // 264
  v.add("ll", -7);     // 265
  v.add("llo", -8);    // 266
  v.add("hello", -9);  // 267
  v.add("▁hello", -10);  // 268
  v.add("ab", -11);    // 269
  v.add("bc", -11);    // 270: same score as "ab": the leftmost pair merges first
  v.add("a", -12);     // 271
  v.add("b", -12);     // 272
  v.add("c", -12);     // 273
  v.add("é", -13);     // 274
  v.add("<|user|>", 0, 4);  // 275: user-defined, always matched
  return v;
}

Tokenizer make(const Vocab& v, bool add_bos = true, bool space_prefix = true) {
  GgufWriter w;
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_strings("tokenizer.ggml.tokens", v.tokens);
  w.add_f32s("tokenizer.ggml.scores", v.scores);
  w.add_i32s("tokenizer.ggml.token_type", v.types);
  w.add_u32("tokenizer.ggml.bos_token_id", 1);
  w.add_u32("tokenizer.ggml.eos_token_id", 2);
  w.add_bool("tokenizer.ggml.add_bos_token", add_bos);
  w.add_bool("tokenizer.ggml.add_space_prefix", space_prefix);
  auto f = GgufFile::parse(w.build());
  EXPECT_TRUE(f.ok());
  auto t = Tokenizer::from_gguf(*f);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t).value();
}

using Ids = std::vector<int32_t>;

TEST(SpmTokenizer, MergesByScoreWithALeadingSpace) {
  const Tokenizer t = make(base_vocab());
  EXPECT_EQ(t.encode("hello", true), (Ids{1, 268}));
  EXPECT_EQ(t.encode("hello", false), (Ids{268}));
  EXPECT_EQ(t.encode("", true), (Ids{1}));
  EXPECT_EQ(t.encode("", false), (Ids{}));
  EXPECT_EQ(t.encode(" hello", false), (Ids{259, 268}));
  EXPECT_EQ(t.encode("hellohe", false), (Ids{268, 264}));
  // "abc": "ab" and "bc" score the same; the leftmost merges, leaving "c".
  EXPECT_EQ(t.encode("abc", false), (Ids{259, 269, 273}));
}

TEST(SpmTokenizer, FallsBackToBytes) {
  const Tokenizer t = make(base_vocab());
  // "z" is not in the vocabulary: its byte 0x7A is token 3 + 0x7A.
  EXPECT_EQ(t.encode("z", false), (Ids{259, 3 + 0x7A}));
  // A two-byte character not in the vocabulary becomes two byte tokens; "é" is one token.
  EXPECT_EQ(t.encode("ñé", false), (Ids{259, 3 + 0xC3, 3 + 0xB1, 274}));
  EXPECT_EQ(t.decode(t.encode("ñé z hello", false)), " ñé z hello");
}

TEST(SpmTokenizer, SpecialTokens) {
  const Tokenizer t = make(base_vocab());
  // User-defined tokens always match; control tokens only with parse_special.
  EXPECT_EQ(t.encode("hello<|user|>hello", false), (Ids{268, 275, 268}));
  EXPECT_EQ(t.encode("<s>hello", false, true), (Ids{1, 268}));
  const Ids plain = t.encode("<s>", false, false);
  EXPECT_NE(plain, (Ids{1}));
  EXPECT_EQ(t.decode(plain), " <s>");
  EXPECT_TRUE(t.is_eog(2));
  EXPECT_FALSE(t.is_eog(1));
  EXPECT_EQ(t.token_to_piece(1), "");
  EXPECT_EQ(t.token_to_piece(268), " hello");
  EXPECT_EQ(t.token_to_piece(3 + 0x0A), "\n");
  EXPECT_EQ(t.token_to_piece(-1), "");
  EXPECT_EQ(t.token_to_piece(100000), "");
}

TEST(SpmTokenizer, OptionsFromMetadata) {
  const Tokenizer t = make(base_vocab(), false, false);
  EXPECT_EQ(t.encode("hello", true), (Ids{267}));
  EXPECT_FALSE(t.add_bos());
}

TEST(SpmTokenizer, RejectsBadVocabularies) {
  auto error = [](const std::function<void(GgufWriter&)>& fill) {
    GgufWriter w;
    fill(w);
    auto f = GgufFile::parse(w.build());
    EXPECT_TRUE(f.ok());
    auto t = Tokenizer::from_gguf(*f);
    return t.ok() ? std::string("ok") : t.error().message;
  };
  EXPECT_NE(error([](GgufWriter&) {}).find("missing 'tokenizer.ggml.model'"), std::string::npos);
  EXPECT_NE(error([](GgufWriter& w) { w.add_string("tokenizer.ggml.model", "bert"); })
                .find("tokenizer model 'bert' is not supported"),
            std::string::npos);
  EXPECT_NE(error([](GgufWriter& w) { w.add_string("tokenizer.ggml.model", "llama"); }).find("tokenizer.ggml.tokens"),
            std::string::npos);
  EXPECT_NE(error([](GgufWriter& w) {
              w.add_string("tokenizer.ggml.model", "llama");
              w.add_strings("tokenizer.ggml.tokens", {"a", "b", "c"});
              w.add_f32s("tokenizer.ggml.scores", {1.0f});
            }).find("scores"),
            std::string::npos);
  EXPECT_NE(error([](GgufWriter& w) {
              w.add_string("tokenizer.ggml.model", "llama");
              w.add_strings("tokenizer.ggml.tokens", {"a", "b", "c"});
              w.add_u32("tokenizer.ggml.bos_token_id", 7);
            }).find("outside the vocabulary"),
            std::string::npos);
}

}  // namespace
}  // namespace hearth::localnode
