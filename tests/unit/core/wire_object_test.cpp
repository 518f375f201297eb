#include "hearth/core/wire_object.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hearth/core/completion.hpp"
#include "hearth/core/json_parse.hpp"
#include "hearth/core/json_splice.hpp"

namespace hearth {
namespace {

TEST(ScanJsonObject, AcceptsObjectsAndNotesTopLevelErrorAndUsage) {
  auto plain = scan_json_object(R"({"id":"x","choices":[{"delta":{"content":"hi"}}]})");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_error);
  EXPECT_FALSE(plain->usage);

  auto with_usage = scan_json_object(
      R"( {"usage":{"prompt_tokens":3,"details":{"prompt_tokens":99},"completion_tokens":4},)"
      R"("choices":[{"usage":{"total_tokens":50}}]} )");
  ASSERT_TRUE(with_usage);
  ASSERT_TRUE(with_usage->usage);
  EXPECT_EQ(with_usage->usage->prompt_tokens, 3);
  EXPECT_EQ(with_usage->usage->completion_tokens, 4);
  EXPECT_EQ(with_usage->usage->total_tokens, 7) << "the sum when total_tokens is absent";

  auto error = scan_json_object(R"({"error":{"message":"no"}})");
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->has_error);
}

TEST(ScanJsonObject, NullMembersAndNestedNamesDoNotCount) {
  auto scan = scan_json_object(R"({"error":null,"usage":null,"x":{"error":1,"usage":{}}})");
  ASSERT_TRUE(scan);
  EXPECT_FALSE(scan->has_error);
  EXPECT_FALSE(scan->usage);
}

TEST(ScanJsonObject, NamesSpelledWithEscapesCountAsTheNamesTheyDecodeTo) {
  auto scan = scan_json_object(
      R"({"us\u0061ge":{"pr\u006fmpt_tokens":3,"completion_tokens":4},"\u0065rror":{"m":1}})");
  ASSERT_TRUE(scan);
  EXPECT_TRUE(scan->has_error);
  ASSERT_TRUE(scan->usage);
  EXPECT_EQ(scan->usage->prompt_tokens, 3);
  EXPECT_EQ(scan->usage->completion_tokens, 4);
}

TEST(DecodeJsonName, ResolvesEscapesAndKeepsOtherBytes) {
  EXPECT_EQ(decode_json_name(R"(mo\u0064el)"), "model");
  EXPECT_EQ(decode_json_name(R"(a\"b\\c\/d\n)"), "a\"b\\c/d\n");
  EXPECT_EQ(decode_json_name(R"(\ud83d\ude00)"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(decode_json_name("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(ScanJsonObject, NotesRawLineBreaksBetweenTokens) {
  EXPECT_FALSE(scan_json_object(R"({"a":"x\ny", "b": [1,\t2]})")->line_breaks);
  EXPECT_TRUE(scan_json_object("{\"a\":1,\n\"b\":2}")->line_breaks);
  EXPECT_TRUE(scan_json_object("{\"a\":[1\r]}")->line_breaks);
  EXPECT_TRUE(scan_json_object("{}\n")->line_breaks);
}

TEST(ScanJsonObject, RejectsWhatIsNotOneObject) {
  for (const char* text : {"", "   ", "[1,2]", "\"s\"", "3", "null", "{", "{\"a\":}", "{} {}",
                           "{\"a\":1,}", "{'a':1}", "{\"a\":1} x"}) {
    EXPECT_FALSE(scan_json_object(text)) << text;
  }
}

TEST(WireObject, KeepsWireTextByteForByteAndParsesOnDemand) {
  const std::string text = "{\"b\": 1.0,\n \"a\":\"\\u00e9\"}";
  auto scan = scan_json_object(text);
  ASSERT_TRUE(scan);
  WireObject object = WireObject::from_checked_text(text, *scan);
  EXPECT_EQ(object.text(), text);
  EXPECT_EQ(object.json()["a"], "\xC3\xA9");
  EXPECT_FALSE(object.usage());
}

TEST(WireObject, ViewsItsTextUntilCopiedAndACopyOwnsItsOwn) {
  std::string text = R"({"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
  auto scan = scan_json_object(text);
  ASSERT_TRUE(scan);
  const std::string original = text;
  WireObject viewing = WireObject::viewing_checked_text(text, *scan);
  EXPECT_EQ(viewing.text().data(), text.data());  // no copy
  WireObject moved = std::move(viewing);
  EXPECT_EQ(moved.text().data(), text.data());
  const WireObject copy = moved;
  WireObject assigned;
  assigned = moved;
  text.assign(text.size(), ' ');  // the viewed bytes change, as a read buffer's next bytes do
  for (const WireObject* kept : {&copy, static_cast<const WireObject*>(&assigned)}) {
    EXPECT_EQ(kept->text(), original);
    EXPECT_EQ(kept->json()["usage"]["total_tokens"], 3);
    ASSERT_TRUE(kept->usage());
    EXPECT_EQ(kept->usage()->completion_tokens, 2);
  }
}

TEST(WireObject, SerialisesAJsonValueOnDemand) {
  WireObject object = Json{{"usage", {{"total_tokens", 2}}}};
  EXPECT_EQ(object.text(), R"({"usage":{"total_tokens":2}})");
  ASSERT_TRUE(object.usage());
  EXPECT_EQ(object.usage()->total_tokens, 2);
}

TEST(WithStringMember, ReplacesTheValueAndKeepsEverythingElse) {
  const std::string text =
      R"({"messages":[{"role":"user","content":"model: \"x\" {"}], "model" : "public",)"
      R"( "n":1.0})";
  auto out = with_string_member(text, "model", "gpt-4o-mini");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"messages":[{"role":"user","content":"model: \"x\" {"}], "model" : )"
                  R"("gpt-4o-mini", "n":1.0})");
  EXPECT_EQ(Json::parse(*out)["model"], "gpt-4o-mini");
}

TEST(WithStringMember, NestedMembersOfTheSameNameAreLeftAlone) {
  auto out = with_string_member(R"({"tools":[{"model":"a"}],"model":"b","x":{"model":"c"}})",
                                "model", "z");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"tools":[{"model":"a"}],"model":"z","x":{"model":"c"}})");
}

TEST(WithStringMember, EveryDuplicateIsReplaced) {
  auto out = with_string_member(R"({"model":"a","model":"b"})", "model", "z");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"model":"z","model":"z"})");
}

TEST(WithStringMember, EscapedBackslashesAndQuotesStayInsideTheirStrings) {
  const std::string text = R"({"a":"x\\","model":"p","b":"\\\"model\":"})";
  auto out = with_string_member(text, "model", "z");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, R"({"a":"x\\","model":"z","b":"\\\"model\":"})");
  EXPECT_EQ(Json::parse(*out)["b"], "\\\"model\":");
}

TEST(WithStringMember, AddsTheMemberWhenAbsent) {
  EXPECT_EQ(with_string_member(R"({"a":[1,{"b":null}]})", "model", "m"),
            R"({"model":"m","a":[1,{"b":null}]})");
  EXPECT_EQ(with_string_member(" { } ", "model", "m"), R"( {"model":"m" } )");
}

TEST(WithStringMember, QuotesTheValue) {
  auto out = with_string_member(R"({"model":1})", "model", "a\"b\\c\n");
  ASSERT_TRUE(out);
  EXPECT_EQ(Json::parse(*out)["model"], "a\"b\\c\n");
}

TEST(WithStringMember, QuotesEveryByteAsNlohmannDoes) {
  std::vector<std::string> values = {"plain", "caf\xc3\xa9", "bad \xff byte", ""};
  for (int byte = 0; byte < 0x80; ++byte) values.push_back("a" + std::string(1, char(byte)) + "z");
  for (const std::string& value : values) {
    auto out = with_string_member(R"({"model":1})", "model", value);
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, R"({"model":)" + dump_json(Json(value)) + "}") << value;
  }
}

TEST(WithStringAt, ReplacesTheBytesGivenWithTheQuotedValue) {
  const std::string text = R"({"model":"a","x":1})";
  EXPECT_EQ(with_string_at(text, 9, 12, "gpt-\"4\""), R"({"model":"gpt-\"4\"","x":1})");
  EXPECT_EQ(with_string_at(text, 9, 12, ""), R"({"model":"","x":1})");
}

TEST(WithStringMember, RefusesWhatItCannotEditSafely) {
  // A key with escapes might spell the name; better to let the caller parse.
  EXPECT_FALSE(with_string_member(R"({"mod\u0065l":"a"})", "model", "z"));
  EXPECT_FALSE(with_string_member("[1]", "model", "z"));
  EXPECT_FALSE(with_string_member(R"({"a":1)", "model", "z"));
  EXPECT_FALSE(with_string_member(R"({"a":1} x)", "model", "z"));
}

}  // namespace
}  // namespace hearth

namespace hearth {
namespace {

// One random edit of a non-empty text: a byte of `alphabet` replaces or joins one of its
// bytes, or a byte goes, or the text is cut short.
void mutate(std::string& text, std::mt19937& rng, const std::string& alphabet) {
  const std::size_t at = rng() % text.size();
  const char c = alphabet[rng() % alphabet.size()];
  switch (rng() % 4) {
    case 0: text[at] = c; break;
    case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
    case 2: text.erase(at, 1); break;
    default: text.resize(at); break;
  }
}

// The hand-written validator must accept exactly what nlohmann's parser accepts as one
// object: checked on valid documents and on many byte-level mutations of them.
TEST(ScanJsonObject, AgreesWithNlohmannOnMutatedDocuments) {
  const std::vector<std::string> seeds = {
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"h\u00e9\"llo\n"},"finish_reason":null}]})",
      R"({"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15},"x":[1,-2.5e+3,0.0,true,false,null,{}]})",
      "{\"s\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \\ud83d\\ude00\",\"e\":{\"error\":null}}",
      R"({"error":{"message":"bad","code":429}})",
      "{ }",
  };
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,\\u0123456789abcdefeE+-.tnrl \n\t\x80\xC3\xA9\xED\xF0";
  for (const std::string& seed : seeds) {
    for (int i = 0; i < 3000; ++i) {
      std::string text = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !text.empty(); ++e) mutate(text, rng, alphabet);
      const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      const bool nlohmann_says = !parsed.is_discarded() && parsed.is_object();
      const auto scan = scan_json_object(text);
      ASSERT_EQ(scan.has_value(), nlohmann_says) << text;
      if (scan) {
        auto error = parsed.find("error");
        EXPECT_EQ(scan->has_error, error != parsed.end() && !error->is_null()) << text;
        EXPECT_EQ(scan->usage.has_value(), usage_of(parsed).has_value()) << text;
      }
    }
  }
}

void expect_same_scan(const std::optional<ObjectScan>& got, const std::optional<ObjectScan>& want,
                      const std::string& text) {
  ASSERT_EQ(got.has_value(), want.has_value()) << text;
  if (!got) return;
  EXPECT_EQ(got->has_error, want->has_error) << text;
  EXPECT_EQ(got->line_breaks, want->line_breaks) << text;
  ASSERT_EQ(got->usage.has_value(), want->usage.has_value()) << text;
  if (got->usage) {
    EXPECT_EQ(got->usage->prompt_tokens, want->usage->prompt_tokens) << text;
    EXPECT_EQ(got->usage->completion_tokens, want->usage->completion_tokens) << text;
    EXPECT_EQ(got->usage->total_tokens, want->usage->total_tokens) << text;
  }
}

// An event scanner passes an object by the one it kept of its shape: whatever the objects that
// follow, like the kept one or not, its verdicts and notes are scan_json_object's.
TEST(EventScanner, AgreesWithScanJsonObjectOnMutatedEventsOfOneStream) {
  const std::vector<std::string> seeds = {
      R"({"id":"c1","object":"chunk","created":17,"model":"m","choices":[{"delta":{"content":"hi"}}]})",
      R"({"id":"c1","usage":{"prompt_tokens":1,"completion_tokens":2},"model":"m","choices":[]})",
      R"({"id":"c1","error":null,"x":1,"error":{"message":"late"}})",
      "{\"a\":1,\n\"b\":2, \"c\":3,\"d\":[4]}",
  };
  std::mt19937 rng(11);
  const std::string alphabet = "{}[]\":,\\u0123456789abcdefeE+-.tnrl \n\t\x80\xC3\xA9";
  for (const std::string& seed : seeds) {
    EventScanner scanner;
    expect_same_scan(scanner.scan(seed), scan_json_object(seed), seed);
    for (int i = 0; i < 3000; ++i) {
      std::string text = seed;
      mutate(text, rng, alphabet);
      expect_same_scan(scanner.scan(text), scan_json_object(text), text);
      expect_same_scan(scanner.scan(seed), scan_json_object(seed), seed);
    }
  }
}

// A stream's objects mostly differ from the one before in one string's text, which the scanner
// then does not check again: here each object is an edit of the one before (edits that keep
// strings plain, and edits that put quotes, escapes, control or non-ASCII bytes into strings or
// break their bounds), and every verdict must be scan_json_object's.
TEST(EventScanner, AgreesWithScanJsonObjectOnEachEditOfTheObjectBefore) {
  const std::vector<std::string> seeds = {
      R"({"id":"c1","object":"chunk","choices":[{"index":0,"delta":{"content":"Hello there"},"finish_reason":null}]})",
      R"({"a":"xy","error":null,"b":["p","q",{"c":"rs"}],"usage":{"prompt_tokens":4,"completion_tokens":5}})",
      "{\"esc\":\"a\\nb\\u00e9c\",\"utf\":\"caf\xC3\xA9 x\",\"n\":\"plain\"}",
      "{\"v\": \"spaced\" ,\n\"w\":\"broken lines\"}",
  };
  std::mt19937 rng(23);
  const std::string plain = "abcdefghijklmnopqrstuvwxyz ABC.,!?0123456789{}[]:";
  const std::string other = "\"\\\x01\n\x7F\x80\xC3\xA9\xE2";
  for (const std::string& seed : seeds) {
    EventScanner scanner;
    std::string text = seed;
    for (int i = 0; i < 20000; ++i) {
      std::string edited = text;
      mutate(edited, rng, rng() % 8 == 0 ? other : plain);
      if (edited.empty()) continue;
      const auto want = scan_json_object(edited);
      expect_same_scan(scanner.scan(edited), want, edited);
      if (want || rng() % 16 == 0) text = std::move(edited);  // mostly walk on valid objects
      if (rng() % 64 == 0) text = seed;
    }
  }
}

// Streams of one upstream interleave, and their objects differ from those of the same shape in
// strings and numbers: here objects of several shapes (more than the scanner keeps) take turns,
// each an edit of one before of its shape, and every verdict must be scan_json_object's.
TEST(EventScanner, AgreesWithScanJsonObjectOnInterleavedEditsOfSeveralShapes) {
  std::vector<std::string> walkers = {
      R"({"id":"c1","created":1718000000,"choices":[{"index":0,"delta":{"role":"assistant"}}]})",
      R"({"id":"c1","created":1718000000,"choices":[{"index":0,"delta":{"content":"Hi"}}]})",
      R"({"id":"c1","created":1718000000,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
      R"({"id":"c1","usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"d":{"c":0}}})",
      R"({"x":[-1.5e+3,0,0.25,-0,1E2],"error":7,"y":"z"})",
      R"({"error":null,"n":-12,"s":"a"})",
  };
  const std::vector<std::string> seeds = walkers;
  std::mt19937 rng(31);
  const std::string number = "0123456789-+.eE";
  const std::string plain = "abcxyz 019-.:,{}";
  const std::string other = "\"\\\x01\n\x80\xC3\xA9";
  EventScanner scanner;
  for (int i = 0; i < 60000; ++i) {
    std::string& text = walkers[rng() % walkers.size()];
    std::string edited = text;
    const unsigned pick = rng() % 16;
    mutate(edited, rng, pick < 9 ? number : pick < 15 ? plain : other);
    if (edited.empty()) continue;
    const auto want = scan_json_object(edited);
    expect_same_scan(scanner.scan(edited), want, edited);
    if (want) text = std::move(edited);  // walk on valid objects
    if (rng() % 128 == 0) text = seeds[rng() % seeds.size()];
  }
}

// An object is compared past an opening only where the last object's opening ends at a
// top-level comma. One without such a comma ({"s":"ab"}) has none, however its values grow: else
// the text its grown value opened with ({"s":") would seem an opening, and an object that went
// on past it as another shape does ({"s":""t":[1,2]}) would seem of that shape.
TEST(EventScanner, AnObjectWithoutATopLevelCommaHasNoOpening) {
  EventScanner scanner;
  ASSERT_TRUE(scanner.scan(R"({"q":1,"t":[1,2]})"));
  ASSERT_TRUE(scanner.scan(R"({"s":"ab"})"));
  ASSERT_TRUE(scanner.scan(R"({"s":"abcdefgh"})"));
  EXPECT_FALSE(scanner.scan(R"({"s":""t":[1,2]})"));
}

// An object that opens as the last one did is compared with a shape past their openings only
// where the shape has an opening, behind which its scan noted nothing. Each case: a shape, then
// an object that gives the scanner the opening of the text after them, whose rest is the
// shape's: the text's verdict must be its own, not the shape's.
TEST(EventScanner, AShapesOpeningNeverHoldsWhatItsVerdictNoted) {
  struct Case {
    std::string shape, opener, text;
  };
  const std::vector<Case> cases = {
      // The shape has no opening: the text's rest is the whole shape.
      {R"({"b":2})", R"({"a":1,"c":2})", R"({"a":1,{"b":2})"},
      {R"({"usage":{"prompt_tokens":1},"m":[1]})", R"({"usage":{"prompt_tokens":5},"n":"x"})",
       R"({"usage":{"prompt_tokens":5},"m":[1]})"},
      {R"({"error":{"message":"a"},"m":[1]})", R"({"error":null,"n":"x"})",
       R"({"error":null,"m":[1]})"},
      {"{\n\"a\":1,\"m\":[1]}", R"({"a":1,"n":"x"})", R"({"a":1,"m":[1]})"},
  };
  for (const Case& c : cases) {
    EventScanner scanner;
    ASSERT_TRUE(scanner.scan(c.shape)) << c.shape;
    ASSERT_TRUE(scanner.scan(c.opener)) << c.opener;
    expect_same_scan(scanner.scan(c.text), scan_json_object(c.text), c.text);
  }
}

// An object that opens with usage or an error gets, each time it comes, the usage and the
// error it holds.
TEST(EventScanner, AnOpeningThatNotedUsageOrAnErrorIsCheckedEachTime) {
  const std::string usage = R"({"usage":{"prompt_tokens":1,"completion_tokens":2},"m":"x","n":1})";
  const std::string error = R"({"error":{"message":"e"},"m":"x","n":1})";
  EventScanner scanner;
  for (int i = 0; i < 2; ++i) {
    const auto with_usage = scanner.scan(usage);
    ASSERT_TRUE(with_usage && with_usage->usage);
    EXPECT_EQ(with_usage->usage->total_tokens, 3);
  }
  for (int i = 0; i < 2; ++i) {
    const auto with_error = scanner.scan(error);
    ASSERT_TRUE(with_error);
    EXPECT_TRUE(with_error->has_error);
  }
}

// A usage count and an error are each object's own, though objects that differ in them only
// are alike in all else.
TEST(EventScanner, UsageCountsAndErrorsAreReadFromEachObject) {
  EventScanner scanner;
  for (int n : {1, 7, 12, 7}) {
    const std::string usage = R"({"usage":{"prompt_tokens":)" + std::to_string(n) +
                              R"(,"completion_tokens":2},"m":"x","n":1})";
    const auto scan = scanner.scan(usage);
    ASSERT_TRUE(scan && scan->usage);
    EXPECT_EQ(scan->usage->prompt_tokens, n);
    EXPECT_EQ(scan->usage->total_tokens, n + 2);
  }
  for (std::string_view error : {"null", "1", "null", "\"e\"", "null"}) {
    const auto scan = scanner.scan(R"({"error":)" + std::string(error) + R"(,"m":"x","n":1})");
    ASSERT_TRUE(scan);
    EXPECT_EQ(scan->has_error, error != "null") << error;
  }
}

// Numbers are read eight digits a step where eight bytes remain, and a lone digit at once: a
// digit run of every length up to 20, led by '1' or by '0' (which only a lone zero may be),
// with a stray byte at each place (the bytes around '0'..'9' among them), is judged as nlohmann
// judges it.
TEST(ScanJsonObject, ReadsDigitRunsOfEveryLengthAsNlohmannDoes) {
  const std::string strays = std::string("x,}.eE /:") + "\xFA";
  auto nlohmann_says = [](const std::string& text) {
    const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    return !parsed.is_discarded() && parsed.is_object();
  };
  for (const char lead : {'1', '0'}) {
    for (std::size_t length = 1; length <= 20; ++length) {
      std::string run;
      for (std::size_t i = 0; i < length; ++i) run += static_cast<char>(lead + i % 9);
      for (std::size_t at = 0; at <= length; ++at) {
        for (const char stray : strays) {
          std::string number = run;
          number.insert(at, 1, stray);
          const std::string text = "{\"n\":" + number + "}";
          EXPECT_EQ(scan_json_object(text).has_value(), nlohmann_says(text)) << text;
        }
      }
      const std::string plain = "{\"n\":" + run + "}";
      EXPECT_EQ(scan_json_object(plain).has_value(), lead == '1' || length == 1) << plain;
      EXPECT_EQ(nlohmann_says(plain), lead == '1' || length == 1) << plain;
    }
  }
}

// parse_json refuses a number a double cannot hold (nlohmann's "number overflow"); so does the
// scan, and it takes one that merely underflows.
TEST(ScanJsonObject, RefusesNumbersTooLargeForADoubleAsParseJsonDoes) {
  const std::string huge_integer = "1" + std::string(400, '0');
  for (const std::string& number :
       {std::string("1e308"), std::string("1.7e308"), std::string("1.8e308"), std::string("1e309"),
        std::string("-1e309"), std::string("0.001e311"), std::string("1e-400"),
        std::string("1e99999999"), huge_integer, huge_integer + "e-300", std::string("12e345")}) {
    const std::string text = "{\"n\":" + number + "}";
    EXPECT_EQ(scan_json_object(text).has_value(), parse_json(text).has_value()) << number;
  }
  EXPECT_FALSE(scan_json_object(R"({"n":1e309})").has_value());
  EXPECT_TRUE(scan_json_object(R"({"n":1e-400})").has_value());
}

// Its depth limit and a leading byte order mark are parse_json's: a reader that checks with
// one and parses with the other never meets a disagreement.
TEST(ScanJsonObject, AgreesWithParseJsonOnDepthAndAByteOrderMark) {
  for (int limit = 1; limit <= 4; ++limit) {
    for (int depth = 1; depth <= 5; ++depth) {
      std::string text = "{\"a\":";
      for (int i = 1; i < depth; ++i) text += i % 2 ? "[" : "{\"b\":";
      text += "0";
      for (int i = depth - 1; i >= 1; --i) text += i % 2 ? "]" : "}";
      text += "}";
      EXPECT_EQ(scan_json_object(text, limit).has_value(), parse_json(text, limit).has_value())
          << text << " within " << limit;
    }
  }
  EXPECT_TRUE(scan_json_object("\xEF\xBB\xBF {}").has_value());
  EXPECT_FALSE(scan_json_object("\xEF\xBB {}").has_value());
}

// The outline lists each value down to the depth asked, after the one that holds it, with
// its name as written and its exact text.
TEST(ScanJsonObject, OutlinesValuesDownToTheDepthAsked) {
  const std::string text =
      R"({"a":1, "m\u0065":[{"r":"x","c":[{"t":"y"}]}, "s"], "e":{}, "n":null})";
  JsonOutline outline;
  ASSERT_TRUE(scan_json_object(text, 512, 3, outline).has_value());
  struct Expected {
    int depth;
    std::string name;
    bool escaped;
    std::string text;
  };
  const std::vector<Expected> expected = {
      {1, "a", false, "1"},
      {1, "m\\u0065", true, R"([{"r":"x","c":[{"t":"y"}]}, "s"])"},
      {2, "", false, R"({"r":"x","c":[{"t":"y"}]})"},
      {3, "r", false, R"("x")"},
      {3, "c", false, R"([{"t":"y"}])"},
      {2, "", false, R"("s")"},
      {1, "e", false, "{}"},
      {1, "n", false, "null"}};
  ASSERT_EQ(outline.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(outline[i].depth, expected[i].depth) << i;
    EXPECT_EQ(outline[i].name, expected[i].name) << i;
    EXPECT_EQ(outline[i].name_escaped, expected[i].escaped) << i;
    EXPECT_EQ(outline[i].text, expected[i].text) << i;
  }
  outline.clear();
  EXPECT_FALSE(scan_json_object(R"({"a":[1,}])", 512, 3, outline).has_value());
}

// Strings are scanned sixteen bytes a step: each byte that ends a plain run, or that is
// allowed though it looks close (DEL), at every offset of a long string and in its tail.
TEST(ScanJsonObject, FindsEachSpecialByteAtEveryOffsetOfALongString) {
  const std::vector<std::string> specials = {"\"", "\\n", "\\", "\x01", "\x1F", "\x7F",
                                             "\xC3\xA9", "\xE2\x82\xAC", "\xFF", " "};
  for (std::size_t offset = 0; offset < 40; ++offset) {
    for (const std::string& special : specials) {
      const std::string head = R"({"content":")" + std::string(offset, 'a') + special;
      for (const std::string& text : {head + std::string(20, 'b') + "\"}", head + "\"}"}) {
        const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        ASSERT_EQ(scan_json_object(text).has_value(), !parsed.is_discarded())
            << testing::PrintToString(text);
      }
    }
  }
}

}  // namespace
}  // namespace hearth
