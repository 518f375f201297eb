#include "hearth/upstream/anthropic_translate.hpp"

#include "hearth/upstream/upstream_errors.hpp"

namespace hearth::upstream {

namespace {

Error malformed(const std::string& what) {
  return make_error(ErrorCode::UpstreamError, "upstream sent a malformed stream event: " + what);
}

int64_t integer(const Json& object, const char* field, int64_t fallback) {
  auto it = object.find(field);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

}  // namespace

Json AnthropicStreamTranslator::chunk(Json delta, Json finish_reason) const {
  Json choice{{"index", 0}};
  if (endpoint_ == Endpoint::Completions) {
    choice["text"] = delta.value("content", "");
    choice["logprobs"] = nullptr;
  } else {
    choice["delta"] = std::move(delta);
    choice["logprobs"] = nullptr;
  }
  choice["finish_reason"] = std::move(finish_reason);
  return Json{{"id", id_},
              {"object", endpoint_ == Endpoint::Completions ? "text_completion"
                                                             : "chat.completion.chunk"},
              {"created", created_},
              {"model", model_},
              {"choices", Json::array({std::move(choice)})}};
}

Result<std::vector<Json>> AnthropicStreamTranslator::feed(std::string_view event, const Json& data) {
  // Fields of an unexpected type make nlohmann throw; that is the upstream's error.
  try {
    return feed_checked(event, data);
  } catch (const nlohmann::json::exception& e) {
    return malformed(e.what());
  }
}

Result<std::vector<Json>> AnthropicStreamTranslator::feed_checked(std::string_view event,
                                                                   const Json& data) {
  std::vector<Json> out;
  if (event == "ping" || finished_) return out;
  if (event == "error") {
    std::string message = "unknown error";
    if (data.is_object() && data.contains("error") && data["error"].is_object()) {
      message = data["error"].value("message", message);
    }
    return make_error(ErrorCode::UpstreamError, "upstream reported an error mid-stream: " + message);
  }
  if (!data.is_object()) return malformed("data is not a JSON object");

  if (event == "message_start") {
    const Json message = data.contains("message") ? data["message"] : Json::object();
    if (!message.is_object()) return malformed("message_start without a message");
    started_ = true;
    id_ = message.value("id", "");
    model_ = message.value("model", "");
    if (message.contains("usage") && message["usage"].is_object()) usage_ = message["usage"];
    if (endpoint_ == Endpoint::ChatCompletions) {
      out.push_back(chunk({{"role", "assistant"}, {"content", ""}}));
    }
    return out;
  }
  if (!started_) return malformed(std::string(event) + " before message_start");

  if (event == "content_block_start") {
    const Json block = data.contains("content_block") ? data["content_block"] : Json::object();
    const std::string type = block.is_object() ? block.value("type", "") : "";
    if (type == "text" && block.value("text", "") != "") {
      out.push_back(chunk({{"content", block["text"]}}));
    } else if (type == "tool_use" && endpoint_ == Endpoint::ChatCompletions) {
      const auto tool = static_cast<int64_t>(tool_index_.size());
      tool_index_[integer(data, "index", 0)] = tool;
      out.push_back(chunk({{"tool_calls",
                            Json::array({{{"index", tool},
                                          {"id", block.value("id", "")},
                                          {"type", "function"},
                                          {"function",
                                           {{"name", block.value("name", "")},
                                            {"arguments", ""}}}}})}}));
    }
    return out;
  }
  if (event == "content_block_delta") {
    const Json delta = data.contains("delta") ? data["delta"] : Json::object();
    const std::string type = delta.is_object() ? delta.value("type", "") : "";
    if (type == "text_delta") {
      out.push_back(chunk({{"content", delta.value("text", "")}}));
    } else if (type == "input_json_delta") {
      auto tool = tool_index_.find(integer(data, "index", 0));
      if (tool == tool_index_.end()) return malformed("input_json_delta for an unknown block");
      out.push_back(chunk({{"tool_calls",
                            Json::array({{{"index", tool->second},
                                          {"function",
                                           {{"arguments", delta.value("partial_json", "")}}}}})}}));
    }
    // thinking_delta, signature_delta: no OpenAI counterpart.
    return out;
  }
  if (event == "message_delta") {
    if (data.contains("usage") && data["usage"].is_object()) {
      for (const auto& [key, value] : data["usage"].items()) {
        if (!value.is_null()) usage_[key] = value;  // output_tokens is cumulative
      }
    }
    const Json delta = data.contains("delta") ? data["delta"] : Json::object();
    if (delta.is_object() && delta.contains("stop_reason") && !delta["stop_reason"].is_null()) {
      out.push_back(chunk(Json::object(), finish_reason_from_anthropic(delta["stop_reason"])));
    }
    return out;
  }
  if (event == "message_stop") {
    finished_ = true;
    if (include_usage_) {
      Json last = chunk(Json::object());
      last["choices"] = Json::array();
      last["usage"] = usage_from_anthropic(usage_);
      out.push_back(std::move(last));
    }
    return out;
  }
  // content_block_stop, and event types newer than this code.
  return out;
}

}  // namespace hearth::upstream
