#include "hearth/policies/redaction.hpp"

#include "hearth/core/wire_object.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::policies {
namespace {

const DetectorSet& builtins() {
  static const std::shared_ptr<const DetectorSet> set = DetectorSet::build({}).value();
  return *set;
}

std::string redact(const std::string& text, const std::vector<std::string>& classes, RedactionMap& map) {
  auto findings = builtins().scan(text);
  EXPECT_TRUE(findings.ok());
  return redact_text(text, *findings, classes, map, {text});
}

TEST(Redaction, TypedPlaceholdersSameOriginalSamePlaceholder) {
  RedactionMap map;
  const std::string out = redact("mail a@x.io, b@y.io and a@x.io; call (555) 123-4567; ssn 123-45-6789",
                                 {"email", "phone"}, map);
  EXPECT_EQ(out, "mail [EMAIL_1], [EMAIL_2] and [EMAIL_1]; call [PHONE_1]; ssn 123-45-6789");
  EXPECT_EQ(map.counts().at("email"), 3);
  EXPECT_EQ(map.counts().at("phone"), 1);
  EXPECT_EQ(map.originals().at("[EMAIL_2]"), "b@y.io");
  EXPECT_EQ(make_placeholder("credit_card", 12), "[CREDIT_CARD_12]");
}

TEST(Redaction, SkipsPlaceholdersTheClientAlreadyWrote) {
  RedactionMap map;
  const std::string out = redact("literal [EMAIL_1] and a@x.io", {"email"}, map);
  EXPECT_EQ(out, "literal [EMAIL_1] and [EMAIL_2]");
}

ChatRequest chat_request() {
  ChatRequest r;
  r.model = "m";
  const Json body = {{"model", "m"},
            {"temperature", 0},
            {"messages",
             {{{"role", "system"}, {"content", "Reply to jane@corp.com"}},
              {{"role", "user"},
               {"content", {{{"type", "text"}, {"text", "my card 4111 1111 1111 1111, mail jane@corp.com"}}}}},
              {{"role", "assistant"},
               {"content", nullptr},
               {"tool_calls", {{{"function", {{"name", "send"}, {"arguments", "{\"to\":\"bob@corp.com\"}"}}}}}}}}}};
  r.body = RequestBody::from_checked_text(body.dump());  // as it came over the wire
  return r;
}

TEST(Redaction, EveryTextInTheBodyIsRedacted) {
  const ChatRequest original = chat_request();
  auto r = redact_request(original, builtins(), {"email", "credit_card"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Json& out = r->request.body.json();
  EXPECT_EQ(out["messages"][0]["content"], "Reply to [EMAIL_1]");
  EXPECT_EQ(out["messages"][1]["content"][0]["text"], "my card [CREDIT_CARD_1], mail [EMAIL_1]");
  EXPECT_EQ(chat_messages(out)[1].content[0]["text"], "my card [CREDIT_CARD_1], mail [EMAIL_1]");
  EXPECT_EQ(out["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"to\":\"[EMAIL_2]\"}");
  EXPECT_EQ(out["temperature"], 0);
  // The client's bytes hold the originals: they are let go, and what will be sent has none.
  EXPECT_TRUE(r->request.body.wire_text().empty());
  EXPECT_EQ(dump_json(out).find("jane@corp.com"), std::string::npos);
  EXPECT_EQ(dump_json(out).find("4111"), std::string::npos);
  EXPECT_EQ(r->map.counts().at("email"), 3);
  EXPECT_EQ(r->map.counts().at("credit_card"), 1);
}

TEST(Redaction, NoClassesLeavesTheRequestAlone) {
  const ChatRequest original = chat_request();
  auto r = redact_request(original, builtins(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(original.body.wire_text().empty());
  EXPECT_EQ(r->request.body.wire_text(), original.body.wire_text());
  EXPECT_TRUE(r->map.empty());
}

TEST(Redaction, NothingFoundKeepsTheClientsBytes) {
  const ChatRequest original = chat_request();
  auto r = redact_request(original, builtins(), {"iban"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(original.body.wire_text().empty());
  EXPECT_EQ(r->request.body.wire_text(), original.body.wire_text());
  EXPECT_TRUE(r->map.empty());
}

TEST(Redaction, LegacyPromptIsRedacted) {
  ChatRequest r;
  r.endpoint = Endpoint::Completions;
  r.body = Json{{"model", "m"}, {"prompt", "write to a@b.io"}};
  auto out = redact_request(r, builtins(), {"email"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->request.body.json()["prompt"], "write to [EMAIL_1]");
}

RedactionMap sample_map() {
  RedactionMap map;
  const std::vector<std::string_view> none;
  map.placeholder_for("email", "jane@corp.com", none);
  map.placeholder_for("email", "bob@corp.com", none);
  map.placeholder_for("credit_card", "4111 1111 1111 1111", none);
  return map;
}

TEST(Restorer, RestoresWholeText) {
  Restorer r(sample_map());
  EXPECT_EQ(r.feed("Hi [EMAIL_1], card [CREDIT_CARD_1]; [EMAIL_9] and [x] stay.") + r.finish(),
            "Hi jane@corp.com, card 4111 1111 1111 1111; [EMAIL_9] and [x] stay.");
}

// Every way of cutting the reply into two or three chunks restores to the same text.
TEST(Restorer, PlaceholdersSplitAtEveryPoint) {
  const std::string reply = "To [EMAIL_2]: charge [CREDIT_CARD_1] then mail [EMAIL_1] [EM]";
  const std::string expected = "To bob@corp.com: charge 4111 1111 1111 1111 then mail jane@corp.com [EM]";
  const RedactionMap map = sample_map();
  for (size_t i = 0; i <= reply.size(); ++i) {
    for (size_t j = i; j <= reply.size(); ++j) {
      Restorer r(map);
      std::string out = r.feed(reply.substr(0, i));
      out += r.feed(reply.substr(i, j - i));
      out += r.feed(reply.substr(j));
      out += r.finish();
      ASSERT_EQ(out, expected) << "split at " << i << ", " << j;
    }
  }
}

TEST(Restorer, HoldsBackOnlyAPossiblePlaceholderPrefix) {
  Restorer r(sample_map());
  EXPECT_EQ(r.feed("Mail [EMA"), "Mail ");
  EXPECT_EQ(r.feed("IL_1] now [not a placeholder"), "jane@corp.com now [not a placeholder");
  EXPECT_EQ(r.feed(" [CREDIT_C"), " ");
  EXPECT_EQ(r.finish(), "[CREDIT_C");
}

TEST(Restorer, EmptyMapPassesThrough) {
  Restorer r(RedactionMap{});
  EXPECT_EQ(r.feed("[EMA"), "[EMA");
  EXPECT_EQ(r.finish(), "");
}

TEST(Redaction, RoundTripThroughRestorer) {
  const ChatRequest original = chat_request();
  auto redacted = redact_request(original, builtins(), {"email", "credit_card"});
  ASSERT_TRUE(redacted.ok());
  // The model echoes the redacted user message back, in 3-byte chunks.
  const std::string echoed =
      redacted->request.body.json()["messages"][1]["content"][0]["text"].get<std::string>();
  Restorer restorer(redacted->map);
  std::string out;
  for (size_t i = 0; i < echoed.size(); i += 3) out += restorer.feed(echoed.substr(i, 3));
  out += restorer.finish();
  EXPECT_EQ(out, "my card 4111 1111 1111 1111, mail jane@corp.com");
}

}  // namespace
}  // namespace hearth::policies
