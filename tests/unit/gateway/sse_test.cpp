#include "hearth/gateway/sse.hpp"

#include <gtest/gtest.h>

#include "hearth/core/wire_object.hpp"

namespace hearth::gateway {
namespace {

TEST(Sse, OneDataEventPerJson) {
  std::string out;
  append_sse_data(out, dump_json(Json{{"text", "line one\nline two"}, {"n", 1}}));
  EXPECT_EQ(out, "data: {\"n\":1,\"text\":\"line one\\nline two\"}\n\n");
  // Exactly one event: the only blank line is the terminator.
  EXPECT_EQ(out.find("\n\n"), out.size() - 2);
  EXPECT_EQ(out.find('\n'), out.size() - 2);
}

TEST(Sse, AppendsToTheBuffer) {
  std::string out = "x";
  append_sse_data(out, "[1,2]");
  append_sse_data(out, "\"s\"");
  EXPECT_EQ(out, "xdata: [1,2]\n\ndata: \"s\"\n\n");
}

// Upstream JSON passed through may span lines; each line gets its own data: field, which a
// client joins back with "\n" — the same JSON, in one event.
TEST(Sse, MultiLineTextBecomesOneEventOfSeveralDataLines) {
  std::string out;
  append_sse_data(out, "{\n  \"a\": 1,\r\n  \"b\": 2\r}");
  EXPECT_EQ(out, "data: {\ndata:   \"a\": 1,\ndata:   \"b\": 2\ndata: }\n\n");
}

TEST(Sse, AChunkObjectIsFramedByWhatItsScanSaw) {
  const std::string compact = R"({"a":1,"b":"x\ny"})";
  const std::string spread = "{\"a\": 1,\r\n \"b\": 2}";
  std::string out;
  append_sse_data(out, WireObject::from_checked_text(compact, *scan_json_object(compact)));
  EXPECT_EQ(out, "data: " + compact + "\n\n");
  out.clear();
  append_sse_data(out, WireObject::from_checked_text(spread, *scan_json_object(spread)));
  EXPECT_EQ(out, "data: {\"a\": 1,\ndata:  \"b\": 2}\n\n");
  out.clear();
  append_sse_data(out, WireObject(Json{{"text", "one\ntwo"}}));
  EXPECT_EQ(out, "data: {\"text\":\"one\\ntwo\"}\n\n");
}

TEST(Sse, DoneMarker) { EXPECT_EQ(kSseDone, "data: [DONE]\n\n"); }

TEST(Sse, ErrorEventCarriesTheOpenAiErrorBody) {
  std::string out;
  append_sse_error(out, make_error(ErrorCode::UpstreamError, "the upstream went away"));
  const std::string prefix = "event: error\ndata: ";
  ASSERT_EQ(out.substr(0, prefix.size()), prefix);
  ASSERT_EQ(out.substr(out.size() - 2), "\n\n");
  auto data = Json::parse(out.substr(prefix.size(), out.size() - prefix.size() - 2));
  EXPECT_EQ(data["error"]["message"], "the upstream went away");
  EXPECT_EQ(data["error"]["type"], "upstream_error");
  EXPECT_TRUE(data["error"].contains("param"));
  EXPECT_TRUE(data["error"].contains("code"));
}

}  // namespace
}  // namespace hearth::gateway
