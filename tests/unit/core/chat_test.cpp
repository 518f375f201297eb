#include "hearth/core/chat.hpp"

#include <string>

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(RequestBody, KeepsCheckedBytesAndParsesThemOnFirstUse) {
  const std::string text = R"({"model":"m", "x":[1,2]})";
  const RequestBody body = RequestBody::from_checked_text(text, RequestBody::Span{9, 12});
  EXPECT_EQ(body.wire_text(), text);
  EXPECT_TRUE(body.is_object());
  EXPECT_EQ(body.json(), Json::parse(text));
  EXPECT_EQ(body.wire_text(), text) << "reading the tree keeps the bytes";
  ASSERT_TRUE(body.model_value().has_value());
  EXPECT_EQ(body.model_value()->begin, 9u);
}

TEST(RequestBody, EditingLetsTheClientsBytesGo) {
  RequestBody body = RequestBody::from_checked_text(R"({"model":"m"})", RequestBody::Span{9, 12});
  body.edit()["max_tokens"] = 5;
  EXPECT_TRUE(body.wire_text().empty());
  EXPECT_FALSE(body.model_value().has_value());
  EXPECT_EQ(body.json(), (Json{{"model", "m"}, {"max_tokens", 5}}));
}

TEST(RequestBody, ABuiltTreeHasNoWireBytes) {
  const RequestBody empty;
  EXPECT_TRUE(empty.json().is_object());
  EXPECT_TRUE(empty.wire_text().empty());
  const RequestBody list = Json::array();
  EXPECT_FALSE(list.is_object());
}

TEST(ChatMessages, ViewsEachObjectMessageWithItsRoleAndContent) {
  const Json body = Json::parse(
      R"({"messages":[{"role":"user","content":"hi"},3,{"role":"assistant"},{"role":7,"content":[1]}]})");
  const auto messages = chat_messages(body);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].role, "user");
  EXPECT_EQ(messages[0].content, "hi");
  EXPECT_EQ(messages[1].role, "assistant");
  EXPECT_TRUE(messages[1].content.is_null());
  EXPECT_EQ(messages[2].role, "");
  EXPECT_EQ(messages[2].content, Json::array({1}));
  EXPECT_TRUE(chat_messages(Json::parse(R"({"messages":"x"})")).empty());
  EXPECT_TRUE(chat_messages(Json::array()).empty());
}

}  // namespace
}  // namespace hearth
