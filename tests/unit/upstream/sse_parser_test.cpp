#include "hearth/upstream/sse_parser.hpp"

#include <gtest/gtest.h>

namespace hearth::upstream {
namespace {

// An event with its data copied: a parsed event's data is valid only until the next feed.
struct Event {
  std::string event, data, id;
  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Event& e) {
    return out << "{" << e.event << ", \"" << e.data << "\", " << e.id << "}";
  }
};

Event ev(std::string data, std::string event = "message", std::string id = "") {
  return Event{std::move(event), std::move(data), std::move(id)};
}

// Feeds `bytes` to `parser` and appends a copy of each event they complete to `out`.
Status feed(SseParser& parser, std::string_view bytes, std::vector<Event>& out) {
  SseEvents events;
  Status status = parser.feed(bytes, events);
  for (const SseEvent& e : events) out.push_back(Event{e.event, std::string(e.data), e.id});
  return status;
}

struct SseCase {
  const char* name;
  std::string input;
  std::vector<Event> expected;
};

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

std::vector<Event> parse_in_pieces(const std::string& input, std::size_t piece) {
  SseParser parser;
  std::vector<Event> events;
  for (std::size_t pos = 0; pos < input.size(); pos += piece) {
    EXPECT_TRUE(feed(parser, std::string_view(input).substr(pos, piece), events).ok());
  }
  return events;
}

TEST(SseParser, ParsesEachCaseInOneFeed) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    SseParser parser;
    std::vector<Event> events;
    ASSERT_TRUE(feed(parser, c.input, events).ok());
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
      std::vector<Event> events;
      ASSERT_TRUE(feed(parser, std::string_view(c.input).substr(0, split), events).ok());
      ASSERT_TRUE(feed(parser, std::string_view(c.input).substr(split), events).ok());
      EXPECT_EQ(events, c.expected) << "split at " << split;
    }
  }
}

TEST(SseParser, CrlfSplitBetweenCrAndLfIsOneLineEnd) {
  SseParser parser;
  std::vector<Event> events;
  ASSERT_TRUE(feed(parser, "data: a\r", events).ok());
  ASSERT_TRUE(feed(parser, "\ndata: b\r", events).ok());
  ASSERT_TRUE(feed(parser, "\n\r", events).ok());
  ASSERT_TRUE(feed(parser, "\n", events).ok());
  EXPECT_EQ(events, std::vector<Event>{ev("a\nb")});
}

TEST(SseParser, AnEventWholeInTheBytesViewsThem) {
  SseParser parser;
  const std::string bytes = "data: {\"a\":1}\n\ndata: [DONE]\n\n";
  SseEvents events;
  ASSERT_TRUE(parser.feed(bytes, events).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data.data(), bytes.data() + 6);  // no copy
  EXPECT_EQ(events[1].data, "[DONE]");
}

TEST(SseParser, AnEventThatSpansFeedsOutlivesTheBytesGiven) {
  // Its first line came in bytes that are gone (overwritten here) by the time it completes.
  SseParser parser;
  SseEvents events;
  std::string bytes = "data: a\ndata: b";
  ASSERT_TRUE(parser.feed(bytes, events).ok());
  bytes.assign(bytes.size(), 'x');
  bytes = "c\n\n";
  ASSERT_TRUE(parser.feed(bytes, events).ok());
  bytes.assign(bytes.size(), 'x');
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a\nbc");
}

TEST(SseParser, AnEventAfterAHeldBackBomOutlivesTheFeed) {
  // The BOM's bytes are held back until it can be told; the event that completes them is then
  // parsed from the parser's own copy, which must outlive the feed (longer than a string keeps
  // in place, so that the sanitizer build sees a freed copy read).
  SseParser parser;
  SseEvents events;
  ASSERT_TRUE(parser.feed("\xEF", events).ok());
  ASSERT_TRUE(parser.feed("\xBB", events).ok());
  ASSERT_TRUE(parser.feed("\xBF" "data: a value too long to be kept in place\n\n", events).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a value too long to be kept in place");
}

TEST(SseParser, RemembersRetryAndIgnoresInvalidValues) {
  SseParser parser;
  std::vector<Event> events;
  ASSERT_TRUE(feed(parser, "retry: 1500\n\n", events).ok());
  EXPECT_EQ(parser.retry(), Duration(1500));
  ASSERT_TRUE(feed(parser, "retry: 1.5\n\nretry: x\n\n", events).ok());
  EXPECT_EQ(parser.retry(), Duration(1500));
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, RejectsAnEventLargerThanTheCap) {
  SseParser parser(16);
  std::vector<Event> events;
  Status status = feed(parser, "data: 0123456789\ndata: 0123456789\n\n", events);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::UpstreamError);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, RejectsAOneLineEventLargerThanTheCap) {
  SseParser parser(16);
  std::vector<Event> events;
  ASSERT_TRUE(feed(parser, "data: 0123456789abcdef\n\n", events).ok());  // at the cap
  EXPECT_FALSE(feed(parser, "data: 0123456789abcdefX\n\n", events).ok());
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseParser, RejectsAnEndlessLineFedInPieces) {
  SseParser parser(16);
  std::vector<Event> events;
  ASSERT_TRUE(feed(parser, "data: 0123", events).ok());
  EXPECT_FALSE(feed(parser, "456789abcdef", events).ok());
}

TEST(SseParser, AcceptsEventsUpToTheCap) {
  SseParser parser(16);
  std::vector<Event> events;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(feed(parser, "data: 0123456789\n\n", events).ok());
  EXPECT_EQ(events.size(), 100u);
}

}  // namespace
}  // namespace hearth::upstream
