#include "hearth/upstream/sse_parser.hpp"

#include <gtest/gtest.h>

namespace hearth::upstream {
namespace {

struct SseCase {
  const char* name;
  std::string input;
  std::vector<SseEvent> expected;
};

SseEvent ev(std::string data, std::string event = "message", std::string id = "") {
  return SseEvent{std::move(event), std::move(data), std::move(id)};
}

constexpr char kIdWithNul[] = "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n";

const std::vector<SseCase>& cases() {
  static const std::vector<SseCase> kCases = {
      {"lf", "data: hello\n\n", {ev("hello")}},
      {"crlf", "data: hello\r\n\r\n", {ev("hello")}},
      {"cr", "data: hello\r\r", {ev("hello")}},
      {"mixed_line_ends", "data: a\r\ndata: b\rdata: c\n\n", {ev("a\nb\nc")}},
      {"multi_line_data", "data: a\ndata: b\n\n", {ev("a\nb")}},
      {"two_events", "data: 1\n\ndata: 2\n\n", {ev("1"), ev("2")}},
      {"event_field", "event: ping\ndata: {}\n\n", {ev("{}", "ping")}},
      {"event_type_resets", "event: a\ndata: 1\n\ndata: 2\n\n", {ev("1", "a"), ev("2")}},
      {"comment_ignored", ": keep-alive\n\ndata: x\n\n", {ev("x")}},
      {"no_space_after_colon", "data:x\n\n", {ev("x")}},
      {"only_one_space_stripped", "data:  x\n\n", {ev(" x")}},
      {"field_without_colon", "data\n\n", {ev("")}},
      {"empty_data_line_joins", "data: a\ndata\ndata: b\n\n", {ev("a\n\nb")}},
      {"event_without_data_not_dispatched", "event: foo\n\ndata: x\n\n", {ev("x")}},
      {"incomplete_event_not_dispatched", "data: x\n", {}},
      {"unknown_field_ignored", "foo: bar\ndata: x\n\n", {ev("x")}},
      {"id_persists", "id: 7\ndata: a\n\ndata: b\n\n", {ev("a", "message", "7"), ev("b", "message", "7")}},
      {"id_with_nul_ignored", std::string(kIdWithNul, sizeof(kIdWithNul) - 1),
       {ev("a", "message", "1"), ev("b", "message", "1")}},
      {"bom_stripped", "\xEF\xBB\xBF" "data: x\n\n", {ev("x")}},
      {"done_marker", "data: [DONE]\n\n", {ev("[DONE]")}},
      {"colon_in_value", "data: {\"a\":\"b:c\"}\n\n", {ev("{\"a\":\"b:c\"}")}},
      {"anthropic_style",
       "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {}\n\n",
       {ev("{\"type\":\"message_start\"}", "message_start"), ev("{}", "ping")}},
  };
  return kCases;
}

std::vector<SseEvent> parse_in_pieces(const std::string& input, std::size_t piece) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::size_t pos = 0; pos < input.size(); pos += piece) {
    EXPECT_TRUE(parser.feed(std::string_view(input).substr(pos, piece), events).ok());
  }
  return events;
}

TEST(SseParser, ParsesEachCaseInOneFeed) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    SseParser parser;
    std::vector<SseEvent> events;
    ASSERT_TRUE(parser.feed(c.input, events).ok());
    EXPECT_EQ(events, c.expected);
  }
}

TEST(SseParser, GivesTheSameEventsWhateverTheChunkBoundaries) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(parse_in_pieces(c.input, 1), c.expected);
    EXPECT_EQ(parse_in_pieces(c.input, 2), c.expected);
    EXPECT_EQ(parse_in_pieces(c.input, 3), c.expected);
    for (std::size_t split = 0; split <= c.input.size(); ++split) {
      SseParser parser;
      std::vector<SseEvent> events;
      ASSERT_TRUE(parser.feed(std::string_view(c.input).substr(0, split), events).ok());
      ASSERT_TRUE(parser.feed(std::string_view(c.input).substr(split), events).ok());
      EXPECT_EQ(events, c.expected) << "split at " << split;
    }
  }
}

TEST(SseParser, CrlfSplitBetweenCrAndLfIsOneLineEnd) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: a\r", events).ok());
  ASSERT_TRUE(parser.feed("\ndata: b\r", events).ok());
  ASSERT_TRUE(parser.feed("\n\r", events).ok());
  ASSERT_TRUE(parser.feed("\n", events).ok());
  EXPECT_EQ(events, std::vector<SseEvent>{ev("a\nb")});
}

TEST(SseParser, RemembersRetryAndIgnoresInvalidValues) {
  SseParser parser;
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("retry: 1500\n\n", events).ok());
  EXPECT_EQ(parser.retry(), Duration(1500));
  ASSERT_TRUE(parser.feed("retry: 1.5\n\nretry: x\n\n", events).ok());
  EXPECT_EQ(parser.retry(), Duration(1500));
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, RejectsAnEventLargerThanTheCap) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  Status status = parser.feed("data: 0123456789\ndata: 0123456789\n\n", events);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, RejectsAOneLineEventLargerThanTheCap) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 0123456789abcdef\n\n", events).ok());  // at the cap
  EXPECT_FALSE(parser.feed("data: 0123456789abcdefX\n\n", events).ok());
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseParser, RejectsAnEndlessLineFedInPieces) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  ASSERT_TRUE(parser.feed("data: 0123", events).ok());
  EXPECT_FALSE(parser.feed("456789abcdef", events).ok());
}

TEST(SseParser, AcceptsEventsUpToTheCap) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(parser.feed("data: 0123456789\n\n", events).ok());
  EXPECT_EQ(events.size(), 100u);
}

}  // namespace
}  // namespace hearth::upstream
