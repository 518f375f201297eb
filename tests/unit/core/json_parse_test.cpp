// parse_json against nlohmann's parser: the same verdict and the same tree, on hand-picked
// edge cases and on many random mutations of request-shaped bodies.

#include "hearth/core/json_parse.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hearth {
namespace {

// Same acceptance, and the same tree, types included (dump() tells 1 from 1.0).
void expect_like_nlohmann(const std::string& text) {
  const Json expected = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::optional<Json> got = parse_json(text);
  if (!expected.is_discarded() && text.find('\0') != std::string::npos) {
    // nlohmann ends its input at a NUL byte (one inside a string it refuses), so it accepted
    // a value with bytes after it: parse_json refuses what follows a value.
    EXPECT_FALSE(got.has_value()) << testing::PrintToString(text);
    return;
  }
  ASSERT_EQ(got.has_value(), !expected.is_discarded()) << "text: " << testing::PrintToString(text);
  if (!got) return;
  EXPECT_EQ(*got, expected) << testing::PrintToString(text);
  EXPECT_EQ(got->dump(), expected.dump()) << testing::PrintToString(text);
  EXPECT_EQ(got->type(), expected.type()) << testing::PrintToString(text);
}

TEST(ParseJson, AgreesWithNlohmannOnEdgeCases) {
  const std::vector<std::string> cases = {
      // values
      "{}", "[]", " {\"a\" : [1, 2.5, -3, true, false, null, \"x\"]} ", "0", "-0", "1.0", "-1.5e3",
      "1E+2", "1e-2", "123456789012345678", "18446744073709551615", "18446744073709551616",
      "-9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1e-400", "0.1",
      "\"plain\"", "true", "null", "\xEF\xBB\xBF{\"bom\":1}", "{\"a\":1,\"a\":2}",
      R"({"a":{"b":[1]},"z":0,"a":"x"})", R"({"a":"long enough to be on the heap","a":[null]})",
      "{\"nested\":{\"deep\":[[[]]]}}",
      // strings
      R"("esc \" \\ \/ \b \f \n \r \t")", R"("\u0041\u00e9\u20ac")", R"("\ud83d\ude00")",
      R"("\u0000")", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"",
      // not JSON
      "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "01", "-", "1.",
      ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "tru", "nul", "\"open", "'single'",
      "{\"a\":1}x", "[1]]", R"("\x")", R"("\u12")", R"("\u12G4")", R"("\ud83d")",
      R"("\ud83d\u0041")", R"("\ude00")", "\"tab\there\"", "\"nl\nhere\"",
      "\"\xC3\"", "\"\xC0\x80\"", "\"\xE0\x80\x80\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"",
      "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\"\x80\"", std::string("\"nul\0byte\"", 10),
      std::string("{\"a\":1}\0", 8), "\xEF\xBB", "/* comment */ {}",
  };
  for (const std::string& text : cases) expect_like_nlohmann(text);
}

TEST(ParseJson, AgreesWithNlohmannOnRandomMutations) {
  const std::vector<std::string> seeds = {
      R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hi \u00e9 \ud83d\ude00 caf)"
      "\xC3\xA9"
      R"( 42"}],"temperature":0.7,"max_tokens":128,"stream":true,"stream_options":{"include_usage":true},"n":1,"stop":["\n"],"logit_bias":{"50256":-100},"seed":-3,"top_p":1e-2})",
      R"([{"type":"text","text":"a\"b\\c"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},null,true,false,-0.0,12345678901234567890])",
  };
  const std::string alphabet = std::string("{}[]:,\"\\/-+.eE0123456789 \t\r\nabcfnrtu") +
                               "\x00\x1F\x7F\x80\xBF\xC2\xE0\xED\xF0\xF4\xFF" + "\"\\u";
  std::mt19937 rng(20261122);
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[static_cast<size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng() % text.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: text.erase(at, 1 + rng() % 3); break;
      }
    }
    expect_like_nlohmann(text);
    if (HasFailure()) return;  // one counterexample is enough to read
  }
}

// Strings are scanned sixteen bytes a step: each byte that ends a plain run (quote,
// backslash, control, non-ASCII), or that is allowed though it looks close (DEL), at every
// offset of a long string and in its tail.
TEST(ParseJson, FindsEachSpecialByteAtEveryOffsetOfALongString) {
  const std::vector<std::string> specials = {"\"", "\\n", "\\", "\x01", "\x1F", "\x7F",
                                             "\xC3\xA9", "\xE2\x82\xAC", "\xFF", " "};
  for (size_t offset = 0; offset < 40; ++offset) {
    for (const std::string& special : specials) {
      expect_like_nlohmann("\"" + std::string(offset, 'a') + special + std::string(20, 'b') + "\"");
      expect_like_nlohmann("[\"" + std::string(offset, 'a') + special + "\"]");
      if (HasFailure()) return;
    }
  }
}

TEST(ParseJson, StopsAtTheDepthLimit) {
  const std::string deep = std::string(20, '[') + std::string(20, ']');
  EXPECT_TRUE(parse_json(deep, 20).has_value());
  EXPECT_FALSE(parse_json(deep, 19).has_value());
  const std::string objects = R"({"a":{"b":{"c":1}}})";
  EXPECT_TRUE(parse_json(objects, 3).has_value());
  EXPECT_FALSE(parse_json(objects, 2).has_value());
}

}  // namespace
}  // namespace hearth
