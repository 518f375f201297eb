// Streaming detokenization: characters split over byte tokens come out whole, invalid bytes
// pass through, and the chunks always add up to the decoded text.

#include "hearth/localnode/detokenizer.hpp"

#include <gtest/gtest.h>

#include "gguf_writer.hpp"

namespace hearth::localnode {
namespace {

using testing::GgufWriter;

// An SPM vocabulary of byte tokens (<0x00> .. <0xFF> are ids 3 .. 258) and a few pieces.
Tokenizer make_tokenizer() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    tokens.emplace_back(name);
    types.push_back(6);
  }
  tokens.emplace_back("▁hi");  // 259
  types.push_back(1);
  tokens.emplace_back("é");  // 260
  types.push_back(1);
  GgufWriter w;
  w.add_string("tokenizer.ggml.model", "llama");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  auto f = GgufFile::parse(w.build());
  EXPECT_TRUE(f.ok());
  auto t = Tokenizer::from_gguf(*f);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t).value();
}

int32_t byte(uint8_t b) {
  return 3 + b;
}

TEST(Detokenizer, HoldsBackCharactersSplitOverByteTokens) {
  const Tokenizer tok = make_tokenizer();
  Detokenizer d(tok);
  EXPECT_EQ(d.push(259), " hi");
  // "€" is E2 82 AC.
  EXPECT_EQ(d.push(byte(0xE2)), "");
  EXPECT_EQ(d.pending(), 1u);
  EXPECT_EQ(d.push(byte(0x82)), "");
  EXPECT_EQ(d.push(byte(0xAC)), "€");
  EXPECT_EQ(d.pending(), 0u);
  // "😀" is F0 9F 98 80, split 1 + 3.
  EXPECT_EQ(d.push(byte(0xF0)), "");
  EXPECT_EQ(d.push_bytes("\x9F\x98\x80"), "😀");
  // A complete character followed by the start of the next one: the first comes out.
  EXPECT_EQ(d.push_bytes("\xC3\xA9\xC3"), "é");
  EXPECT_EQ(d.push(byte(0xA9)), "é");
  EXPECT_EQ(d.push(260), "é");
  EXPECT_EQ(d.flush(), "");
}

TEST(Detokenizer, InvalidBytesPassThroughOnceTheyCannotStartACharacter) {
  const Tokenizer tok = make_tokenizer();
  Detokenizer d(tok);
  // A stray continuation byte, an impossible lead byte: out at once.
  EXPECT_EQ(d.push(byte(0x80)), "\x80");
  EXPECT_EQ(d.push(byte(0xFF)), "\xFF");
  // A started character broken by ASCII: both come out as they are.
  EXPECT_EQ(d.push(byte(0xE2)), "");
  EXPECT_EQ(d.push(byte('A')),
            "\xE2"
            "A");
  // E0 80 can never be well-formed (overlong): not held.
  EXPECT_EQ(d.push_bytes("\xE0\x80"), "\xE0\x80");
  // An unfinished character at the end comes out at flush.
  EXPECT_EQ(d.push(byte(0xF0)), "");
  EXPECT_EQ(d.push(byte(0x9F)), "");
  EXPECT_EQ(d.flush(), "\xF0\x9F");
  EXPECT_EQ(d.pending(), 0u);
}

TEST(Detokenizer, ChunksAddUpToTheDecodedTextAndNeverSplitACharacter) {
  const Tokenizer tok = make_tokenizer();
  const std::string text = "a€ b😀 é\xC3\xA9z";
  // Every byte its own token: the worst case.
  std::vector<int32_t> ids;
  for (char c : text) ids.push_back(byte(static_cast<uint8_t>(c)));
  Detokenizer d(tok);
  std::string joined;
  for (int32_t id : ids) {
    const std::string chunk = d.push(id);
    // Each non-empty chunk is whole characters: it ends where a character ends.
    if (!chunk.empty()) {
      const auto last = static_cast<uint8_t>(chunk.back());
      const bool ends_char = last < 0x80 || (last & 0xC0) == 0x80;
      EXPECT_TRUE(ends_char) << "chunk ends with a lead byte";
      EXPECT_NE(static_cast<uint8_t>(chunk.front()) & 0xC0, 0x80)
          << "chunk starts inside a character";
    }
    joined += chunk;
  }
  joined += d.flush();
  EXPECT_EQ(joined, tok.decode(ids));
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace hearth::localnode
