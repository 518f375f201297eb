// The byte-level BPE tokenizer on a small vocabulary the test builds: GPT-2's byte alphabet
// as the first 256 tokens, a handful of merges, special tokens; merge order by rank, the
// pre-tokenizer's word boundaries, byte round trips, BOS defaults and bad vocabularies.

#include <gtest/gtest.h>

#include <functional>

#include "gguf_writer.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {
namespace {

using testing::GgufWriter;
using Ids = std::vector<int32_t>;

// GPT-2's byte -> character mapping, written out here from its definition: printable
// Latin-1 bytes stand for themselves, the others for U+0100, U+0101, ... in byte order.
std::string byte_char(int b) {
  const bool printable =
      (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  uint32_t cp = static_cast<uint32_t>(b);
  if (!printable) {
    int n = 0;
    for (int x = 0; x < b; ++x) {
      const bool p =
          (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
      if (!p) ++n;
    }
    cp = 256 + static_cast<uint32_t>(n);
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
  int32_t add(const std::string& t, int32_t type = 1) {
    tokens.push_back(t);
    types.push_back(type);
    return static_cast<int32_t>(tokens.size() - 1);
  }
  // Adds the merge "a b" (rank: its position) and its result as a token.
  int32_t merge(const std::string& a, const std::string& b) {
    merges.push_back(a + " " + b);
    return add(a + b);
  }
};

// "Ġ" is GPT-2's character for the space byte.
const std::string G = byte_char(' ');

struct Named {
  int32_t he, ll, hell, hello, G_w, or_, G_wor, G_worl, G_world, aa, bc, ab, G_G, eos, im_start,
      tool, whole;
};

Vocab base_vocab(Named& id) {
  Vocab v;
  for (int b = 0; b < 256; ++b) v.add(byte_char(b));  // byte b is token b
  id.he = v.merge("h", "e");
  id.ll = v.merge("l", "l");
  id.hell = v.merge("he", "ll");
  id.hello = v.merge("hell", "o");
  id.G_w = v.merge(G, "w");
  id.or_ = v.merge("o", "r");
  id.G_wor = v.merge(G + "w", "or");
  id.G_worl = v.merge(G + "wor", "l");
  id.G_world = v.merge(G + "worl", "d");
  id.aa = v.merge("a", "a");
  id.bc = v.merge("b", "c");  // ranks before "a b": "abc" is a + bc
  id.ab = v.merge("a", "b");
  id.G_G = v.merge(G, G);
  id.eos = v.add("<|endoftext|>", 3);
  id.im_start = v.add("<|im_start|>", 3);
  id.tool = v.add("<tool>", 4);
  id.whole = v.add("xyz");  // a token no merge reaches
  return v;
}

struct Options {
  std::string pre = "gpt-2";
  int add_bos = -1;  // -1: no key
};

Result<Tokenizer> load(const Vocab& v, const Options& o, int32_t eos) {
  GgufWriter w;
  w.add_string("tokenizer.ggml.model", "gpt2");
  if (!o.pre.empty()) w.add_string("tokenizer.ggml.pre", o.pre);
  w.add_strings("tokenizer.ggml.tokens", v.tokens);
  w.add_i32s("tokenizer.ggml.token_type", v.types);
  w.add_strings("tokenizer.ggml.merges", v.merges);
  w.add_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(eos));
  w.add_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eos));
  if (o.add_bos >= 0) w.add_bool("tokenizer.ggml.add_bos_token", o.add_bos == 1);
  auto f = GgufFile::parse(w.build());
  if (!f) return std::move(f).error();
  return Tokenizer::from_gguf(*f);
}

Tokenizer make(Named& id, const Options& o = {}) {
  const Vocab v = base_vocab(id);
  auto t = load(v, o, id.eos);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t).value();
}

int32_t byte_id(char c) {
  return static_cast<uint8_t>(c);
}

TEST(BpeTokenizer, MergesByRankWithinWords) {
  Named id{};
  const Tokenizer t = make(id);
  EXPECT_EQ(t.model(), TokenizerModel::Bpe);
  EXPECT_EQ(t.pre_tokenizer(), "gpt-2");
  EXPECT_EQ(t.encode("hello world", false), (Ids{id.hello, id.G_world}));
  // "abc": "b c" ranks before "a b", so it is a + bc although "ab" is leftmost.
  EXPECT_EQ(t.encode("abc", false), (Ids{byte_id('a'), id.bc}));
  // Equal pairs merge leftmost first.
  EXPECT_EQ(t.encode("aaa", false), (Ids{id.aa, byte_id('a')}));
  EXPECT_EQ(t.encode("aaaa", false), (Ids{id.aa, id.aa}));
  // Merges never cross the pre-tokenizer's words: "o" + " w" stay apart.
  EXPECT_EQ(t.encode("hello  world", false), (Ids{id.hello, byte_id(' '), id.G_world}));
  EXPECT_EQ(t.encode("   ", false), (Ids{id.G_G, byte_id(' ')}));
  EXPECT_EQ(t.encode("", false), (Ids{}));
}

TEST(BpeTokenizer, EveryByteRoundTrips) {
  Named id{};
  const Tokenizer t = make(id);
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  const Ids ids = t.encode(all, false);
  EXPECT_EQ(t.decode(ids), all);
  // "é" is two bytes, each its own token here; "\n" and the space map outside ASCII.
  EXPECT_EQ(t.encode("\xC3\xA9", false), (Ids{0xC3, 0xA9}));
  EXPECT_EQ(t.token_to_piece(0xC3), "\xC3");
  EXPECT_EQ(t.token_to_piece(id.G_world), " world");
  EXPECT_EQ(t.token_to_piece('\n'), "\n");
  EXPECT_EQ(t.token_text('\n'), "\xC4\x8A");  // U+010A: the 11th byte that is not printable
}

TEST(BpeTokenizer, SpecialTokensAreMatchedWhole) {
  Named id{};
  const Tokenizer t = make(id);
  // Control tokens only with parse_special; user-defined ones always.
  EXPECT_EQ(t.encode("<|im_start|>hello<|endoftext|>", false, true),
            (Ids{id.im_start, id.hello, id.eos}));
  const Ids plain = t.encode("<|endoftext|>", false, false);
  EXPECT_GT(plain.size(), 1u);
  EXPECT_EQ(t.decode(plain), "<|endoftext|>");
  EXPECT_EQ(t.encode("hello<tool>hello", false), (Ids{id.hello, id.tool, id.hello}));
  // A word right after a special token starts a new word: " world" keeps its space.
  EXPECT_EQ(t.encode("<tool> world", false), (Ids{id.tool, id.G_world}));
  EXPECT_EQ(t.token_to_piece(id.eos), "");
  EXPECT_EQ(t.token_to_piece(id.tool), "<tool>");
  EXPECT_TRUE(t.is_eog(id.eos));
  EXPECT_FALSE(t.is_eog(id.hello));
}

TEST(BpeTokenizer, BosDefaultsAndFlags) {
  Named id{};
  // GPT-2: no BOS unless the file asks; Llama 3: BOS by default.
  EXPECT_FALSE(make(id).add_bos());
  EXPECT_EQ(make(id).encode("hello", true), (Ids{id.hello}));
  const Tokenizer llama3 = make(id, {.pre = "llama-bpe"});
  EXPECT_TRUE(llama3.add_bos());
  EXPECT_EQ(llama3.encode("hello", true), (Ids{id.eos, id.hello}));
  EXPECT_EQ(make(id, {.pre = "llama3", .add_bos = 0}).encode("hello", true), (Ids{id.hello}));
  EXPECT_EQ(make(id, {.pre = "gpt-2", .add_bos = 1}).encode("hello", true),
            (Ids{id.eos, id.hello}));
}

TEST(BpeTokenizer, Llama3TakesWholeWordTokensWithoutMerging) {
  Named id{};
  const Tokenizer llama3 = make(id, {.pre = "llama3"});
  EXPECT_EQ(llama3.encode("xyz", false), (Ids{id.whole}));
  EXPECT_EQ(make(id, {.pre = "gpt-2"}).encode("xyz", false), (Ids{'x', 'y', 'z'}));
  // Llama 3 keeps the digits of a number in groups of three, Qwen2 one by one.
  EXPECT_EQ(make(id, {.pre = "llama3"}).encode("aa1", false), (Ids{id.aa, '1'}));
  EXPECT_EQ(make(id, {.pre = "qwen2"}).encode("hello 12", false), (Ids{id.hello, ' ', '1', '2'}));
}

TEST(BpeTokenizer, UnknownPreTokenizerFallsBackWithAWarning) {
  Named id{};
  const Tokenizer t = make(id, {.pre = "tekken"});
  EXPECT_EQ(t.pre_tokenizer(), "gpt-2");
  ASSERT_EQ(t.warnings().size(), 1u);
  EXPECT_NE(t.warnings()[0].find("'tekken' is not supported"), std::string::npos);
  EXPECT_EQ(t.encode("hello world", false), (Ids{id.hello, id.G_world}));
  // No pre-tokenizer key: GPT-2's expression, no warning.
  const Tokenizer none = make(id, {.pre = ""});
  EXPECT_TRUE(none.warnings().empty());
  EXPECT_EQ(none.pre_tokenizer(), "gpt-2");
}

TEST(BpeTokenizer, RejectsBadVocabularies) {
  auto error = [](const std::function<void(GgufWriter&)>& fill) {
    GgufWriter w;
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    fill(w);
    auto f = GgufFile::parse(w.build());
    EXPECT_TRUE(f.ok());
    auto t = Tokenizer::from_gguf(*f);
    return t.ok() ? std::string("ok") : t.error().message;
  };
  EXPECT_NE(error([](GgufWriter&) {}).find("tokenizer.ggml.merges"), std::string::npos);
  EXPECT_NE(
      error([](GgufWriter& w) { w.add_strings("tokenizer.ggml.merges", {"ab"}); }).find("merge 0"),
      std::string::npos);
  EXPECT_NE(
      error([](GgufWriter& w) { w.add_strings("tokenizer.ggml.merges", {"a "}); }).find("merge 0"),
      std::string::npos);
  EXPECT_NE(error([](GgufWriter& w) {
              w.add_strings("tokenizer.ggml.merges", {"a b"});
              w.add_u32("tokenizer.ggml.eos_token_id", 3);
            }).find("outside the vocabulary"),
            std::string::npos);
  EXPECT_EQ(error([](GgufWriter& w) { w.add_strings("tokenizer.ggml.merges", {"a b"}); }), "ok");
}

}  // namespace
}  // namespace hearth::localnode
