#include "hearth/core/chat.hpp"

#include "hearth/core/json_parse.hpp"

namespace hearth {

RequestBody RequestBody::from_checked_text(std::string text, std::optional<Span> model_value) {
  RequestBody body;
  body.text_ = std::move(text);
  body.model_value_ = model_value;
  return body;
}

const Json& RequestBody::json() const {
  // Checked text always parses; a discarded value would show a broken promise, not a guess.
  if (!tree_) {
    tree_ = text_.empty() ? Json::object() : parse_json(text_).value_or(Json(Json::value_t::discarded));
  }
  return *tree_;
}

Json& RequestBody::edit() {
  json();
  text_.clear();
  model_value_.reset();
  return *tree_;
}

std::vector<ChatMessage> chat_messages(const Json& body) {
  static const Json kNull;
  std::vector<ChatMessage> out;
  if (!body.is_object()) return out;
  auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) return out;
  out.reserve(messages->size());
  for (const Json& m : *messages) {
    if (!m.is_object()) continue;
    auto role = m.find("role");
    auto content = m.find("content");
    out.push_back(ChatMessage{role != m.end() && role->is_string()
                                  ? std::string_view(role->get_ref<const std::string&>())
                                  : std::string_view(),
                              content != m.end() ? *content : kNull});
  }
  return out;
}

}  // namespace hearth
