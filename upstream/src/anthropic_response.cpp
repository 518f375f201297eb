#include "hearth/upstream/anthropic_translate.hpp"

namespace hearth::upstream {

Json finish_reason_from_anthropic(const Json& stop_reason) {
  if (!stop_reason.is_string()) return nullptr;
  const std::string reason = stop_reason.get<std::string>();
  if (reason == "max_tokens") return "length";
  if (reason == "tool_use") return "tool_calls";
  if (reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn and anything newer
}

Json usage_from_anthropic(const Json& usage) {
  auto count = [&](const char* field) -> int64_t {
    auto it = usage.find(field);
    return it != usage.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  if (!usage.is_object()) return Json{{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
  // OpenAI's prompt_tokens include cached tokens; Anthropic reports them apart.
  const int64_t prompt = count("input_tokens") + count("cache_read_input_tokens") +
                         count("cache_creation_input_tokens");
  const int64_t completion = count("output_tokens");
  return Json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion}};
}

namespace {

Result<Json> translate_message(const Json& message, Endpoint endpoint, int64_t created) {
  if (!message.is_object() || !message.contains("content") || !message["content"].is_array()) {
    return make_error(ErrorCode::UpstreamError, "upstream sent a malformed Anthropic message");
  }
  std::string text;
  bool has_text = false;
  Json tool_calls = Json::array();
  for (const Json& block : message["content"]) {
    const std::string type = block.is_object() ? block.value("type", "") : "";
    if (type == "text" && block.contains("text") && block["text"].is_string()) {
      text += block["text"].get<std::string>();
      has_text = true;
    } else if (type == "tool_use") {
      tool_calls.push_back(
          {{"id", block.value("id", "")},
           {"type", "function"},
           {"function",
            {{"name", block.value("name", "")},
             {"arguments", block.contains("input") ? block["input"].dump() : std::string("{}")}}}});
    }
    // thinking and other block types have no OpenAI counterpart.
  }
  const Json finish_reason =
      finish_reason_from_anthropic(message.contains("stop_reason") ? message["stop_reason"] : Json());
  Json out{{"id", message.value("id", "")},
           {"created", created},
           {"model", message.value("model", "")}};
  if (endpoint == Endpoint::Completions) {
    out["object"] = "text_completion";
    out["choices"] = Json::array(
        {{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish_reason}}});
  } else {
    Json reply{{"role", "assistant"}, {"content", has_text ? Json(text) : Json(nullptr)}};
    if (!tool_calls.empty()) reply["tool_calls"] = std::move(tool_calls);
    out["object"] = "chat.completion";
    out["choices"] = Json::array({{{"index", 0},
                                   {"message", std::move(reply)},
                                   {"logprobs", nullptr},
                                   {"finish_reason", finish_reason}}});
  }
  out["usage"] = usage_from_anthropic(message.contains("usage") ? message["usage"] : Json());
  return out;
}

}  // namespace

Result<Json> from_anthropic_message(const Json& message, Endpoint endpoint, int64_t created) {
  // Fields of an unexpected type make nlohmann throw; that is the upstream's error.
  try {
    return translate_message(message, endpoint, created);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::UpstreamError,
                      std::string("upstream sent a malformed Anthropic message: ") + e.what());
  }
}

}  // namespace hearth::upstream
