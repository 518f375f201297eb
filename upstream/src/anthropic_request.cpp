#include "hearth/upstream/anthropic_translate.hpp"

namespace hearth::upstream {

namespace {

Error invalid(std::string message, std::string param) {
  return make_error(ErrorCode::InvalidRequest, std::move(message), std::move(param));
}

Error unsupported(std::string message, std::string param) {
  return make_error(ErrorCode::UpstreamRejected,
                    "the Anthropic Messages API cannot express this request: " + message,
                    std::move(param));
}

std::string at(const std::string& param, std::size_t index) {
  return param + "[" + std::to_string(index) + "]";
}

// Text of a system/developer message: a string or an array of text parts.
Result<std::string> plain_text(const Json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return invalid("content must be a string or an array", param);
  std::string text;
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      return unsupported("only text parts are allowed here", at(param, i));
    }
    if (!text.empty()) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

// An image_url part as an Anthropic image block: data: URLs inline, others by URL.
Result<Json> image_block(const Json& part, const std::string& param) {
  const Json* image = part.contains("image_url") ? &part["image_url"] : nullptr;
  std::string url;
  if (image != nullptr && image->is_string()) url = image->get<std::string>();
  if (image != nullptr && image->is_object() && image->contains("url") && (*image)["url"].is_string()) {
    url = (*image)["url"].get<std::string>();
  }
  if (url.empty()) return invalid("image_url.url is required", param + ".image_url.url");
  if (url.rfind("data:", 0) == 0) {
    // data:<media type>;base64,<data>
    auto semicolon = url.find(';');
    auto comma = url.find(',');
    if (semicolon == std::string::npos || comma == std::string::npos || semicolon > comma ||
        url.compare(semicolon, comma - semicolon, ";base64") != 0) {
      return invalid("image data URLs must be base64", param + ".image_url.url");
    }
    return Json{{"type", "image"},
                {"source",
                 {{"type", "base64"},
                  {"media_type", url.substr(5, semicolon - 5)},
                  {"data", url.substr(comma + 1)}}}};
  }
  return Json{{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}};
}

// User or assistant content as Anthropic content blocks (a plain string stays a string).
Result<Json> content_blocks(const Json& content, const std::string& param) {
  if (content.is_string()) return content;
  if (content.is_null()) return Json::array();
  if (!content.is_array()) return invalid("content must be a string or an array", param);
  Json blocks = Json::array();
  for (std::size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    std::string type = part.is_object() ? part.value("type", "") : "";
    if (type == "text") {
      if (!part.contains("text") || !part["text"].is_string()) {
        return invalid("text parts need a string `text`", at(param, i) + ".text");
      }
      blocks.push_back({{"type", "text"}, {"text", part["text"]}});
    } else if (type == "image_url") {
      auto block = image_block(part, at(param, i));
      if (!block) return std::move(block).error();
      blocks.push_back(std::move(block).value());
    } else {
      return unsupported("content part type '" + type + "'", at(param, i) + ".type");
    }
  }
  return blocks;
}

// Appends blocks to a message's content, turning a string content into a text block.
void append_blocks(Json& message, const Json& blocks) {
  Json& content = message["content"];
  if (content.is_string()) {
    std::string text = content.get<std::string>();
    content = Json::array();
    if (!text.empty()) content.push_back({{"type", "text"}, {"text", text}});
  }
  if (blocks.is_string()) {
    if (!blocks.get<std::string>().empty()) content.push_back({{"type", "text"}, {"text", blocks}});
    return;
  }
  for (const Json& block : blocks) content.push_back(block);
}

Result<Json> assistant_message(const Json& message, const std::string& param) {
  auto content = content_blocks(message.contains("content") ? message["content"] : Json(nullptr),
                                param + ".content");
  if (!content) return std::move(content).error();
  Json out{{"role", "assistant"}, {"content", std::move(content).value()}};
  auto calls = message.find("tool_calls");
  if (calls == message.end() || calls->is_null()) return out;
  if (!calls->is_array()) return invalid("tool_calls must be an array", param + ".tool_calls");
  Json blocks = Json::array();
  for (std::size_t i = 0; i < calls->size(); ++i) {
    const Json& call = (*calls)[i];
    const std::string call_param = at(param + ".tool_calls", i);
    if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) {
      return invalid("a tool call needs a function", call_param);
    }
    const Json& function = call["function"];
    std::string arguments = function.value("arguments", "");
    Json input = arguments.empty() ? Json::object()
                                   : Json::parse(arguments, nullptr, /*allow_exceptions=*/false);
    if (input.is_discarded() || !input.is_object()) {
      return invalid("tool call arguments must be a JSON object", call_param + ".function.arguments");
    }
    blocks.push_back({{"type", "tool_use"},
                      {"id", call.value("id", "")},
                      {"name", function.value("name", "")},
                      {"input", std::move(input)}});
  }
  append_blocks(out, blocks);
  return out;
}

Result<Json> tool_result(const Json& message, const std::string& param) {
  if (!message.contains("tool_call_id") || !message["tool_call_id"].is_string()) {
    return invalid("tool messages need a tool_call_id", param + ".tool_call_id");
  }
  Json block{{"type", "tool_result"}, {"tool_use_id", message["tool_call_id"]}};
  const Json content = message.contains("content") ? message["content"] : Json("");
  if (content.is_string()) {
    block["content"] = content;
  } else {
    auto blocks = content_blocks(content, param + ".content");
    if (!blocks) return std::move(blocks).error();
    block["content"] = std::move(blocks).value();
  }
  return block;
}

Result<Json> translate_messages(const Json& messages, std::string& system) {
  if (!messages.is_array() || messages.empty()) {
    return invalid("messages must be a non-empty array", "messages");
  }
  Json out = Json::array();
  bool last_is_tool_results = false;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Json& message = messages[i];
    const std::string param = at("messages", i);
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string()) {
      return invalid("each message needs a role", param + ".role");
    }
    const std::string role = message["role"].get<std::string>();
    const Json content = message.contains("content") ? message["content"] : Json(nullptr);
    bool is_tool_results = false;
    if (role == "system" || role == "developer") {
      // The Messages API has one top-level system prompt.
      auto text = plain_text(content, param + ".content");
      if (!text) return std::move(text).error();
      if (!system.empty() && !text->empty()) system += "\n\n";
      system += *text;
      continue;
    }
    if (role == "user") {
      auto blocks = content_blocks(content, param + ".content");
      if (!blocks) return std::move(blocks).error();
      out.push_back({{"role", "user"}, {"content", std::move(blocks).value()}});
    } else if (role == "assistant") {
      auto translated = assistant_message(message, param);
      if (!translated) return std::move(translated).error();
      out.push_back(std::move(translated).value());
    } else if (role == "tool") {
      auto block = tool_result(message, param);
      if (!block) return std::move(block).error();
      // Consecutive tool results answer one assistant turn: one user message.
      if (last_is_tool_results) {
        out.back()["content"].push_back(std::move(block).value());
      } else {
        out.push_back({{"role", "user"}, {"content", Json::array({std::move(block).value()})}});
      }
      is_tool_results = true;
    } else {
      return unsupported("message role '" + role + "'", param + ".role");
    }
    last_is_tool_results = is_tool_results;
  }
  if (out.empty()) return invalid("messages need at least one user message", "messages");
  return out;
}

Result<Json> translate_tools(const Json& tools) {
  if (!tools.is_array()) return invalid("tools must be an array", "tools");
  Json out = Json::array();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const Json& tool = tools[i];
    const std::string param = at("tools", i);
    if (!tool.is_object() || tool.value("type", "function") != "function" ||
        !tool.contains("function") || !tool["function"].is_object()) {
      return unsupported("only function tools are supported", param);
    }
    const Json& function = tool["function"];
    if (!function.contains("name") || !function["name"].is_string()) {
      return invalid("a function tool needs a name", param + ".function.name");
    }
    Json translated{{"name", function["name"]}};
    if (function.contains("description")) translated["description"] = function["description"];
    translated["input_schema"] = function.contains("parameters") && function["parameters"].is_object()
                                     ? function["parameters"]
                                     : Json{{"type", "object"}, {"properties", Json::object()}};
    out.push_back(std::move(translated));
  }
  return out;
}

Result<Json> translate_tool_choice(const Json& choice) {
  if (choice.is_string()) {
    const std::string mode = choice.get<std::string>();
    if (mode == "auto") return Json{{"type", "auto"}};
    if (mode == "none") return Json{{"type", "none"}};
    if (mode == "required") return Json{{"type", "any"}};
  } else if (choice.is_object() && choice.contains("function") && choice["function"].is_object() &&
             choice["function"].contains("name") && choice["function"]["name"].is_string()) {
    return Json{{"type", "tool"}, {"name", choice["function"]["name"]}};
  }
  return invalid("tool_choice must be auto, none, required or a function", "tool_choice");
}

Result<Json> prompt_messages(const Json& prompt) {
  std::string text;
  if (prompt.is_string()) {
    text = prompt.get<std::string>();
  } else if (prompt.is_array() && prompt.size() == 1 && prompt[0].is_string()) {
    text = prompt[0].get<std::string>();
  } else if (prompt.is_array()) {
    return unsupported("a prompt must be one string", "prompt");
  } else {
    return invalid("prompt must be a string", "prompt");
  }
  return Json::array({{{"role", "user"}, {"content", text}}});
}

Result<Json> translate_request(const ChatRequest& request) {
  const Json& body = request.body.json();
  if (!body.is_object()) return invalid("the request body must be a JSON object", "");
  Json out = Json::object();
  out["model"] = request.model;

  std::string system;
  if (request.endpoint == Endpoint::Completions) {
    auto messages = prompt_messages(body.contains("prompt") ? body["prompt"] : Json(nullptr));
    if (!messages) return std::move(messages).error();
    out["messages"] = std::move(messages).value();
  } else {
    auto messages = translate_messages(body.contains("messages") ? body["messages"] : Json(nullptr),
                                       system);
    if (!messages) return std::move(messages).error();
    out["messages"] = std::move(messages).value();
  }
  if (!system.empty()) out["system"] = system;

  int64_t max_tokens = kAnthropicDefaultMaxTokens;
  if (request.max_tokens) {
    max_tokens = *request.max_tokens;
  } else if (body.contains("max_completion_tokens") && body["max_completion_tokens"].is_number_integer()) {
    max_tokens = body["max_completion_tokens"].get<int64_t>();
  } else if (body.contains("max_tokens") && body["max_tokens"].is_number_integer()) {
    max_tokens = body["max_tokens"].get<int64_t>();
  }
  out["max_tokens"] = max_tokens;

  if (body.contains("n") && body["n"].is_number_integer() && body["n"].get<int64_t>() != 1) {
    return unsupported("n must be 1", "n");
  }
  for (const char* field : {"temperature", "top_p"}) {
    if (body.contains(field) && !body[field].is_null()) out[field] = body[field];
  }
  if (body.contains("stop") && !body["stop"].is_null()) {
    const Json& stop = body["stop"];
    if (stop.is_string()) {
      out["stop_sequences"] = Json::array({stop});
    } else if (stop.is_array()) {
      out["stop_sequences"] = stop;
    } else {
      return invalid("stop must be a string or an array", "stop");
    }
  }
  if (body.contains("user") && body["user"].is_string()) {
    out["metadata"] = {{"user_id", body["user"]}};
  }
  if (request.endpoint == Endpoint::ChatCompletions && body.contains("tools") &&
      !body["tools"].is_null()) {
    auto tools = translate_tools(body["tools"]);
    if (!tools) return std::move(tools).error();
    if (!tools->empty()) out["tools"] = std::move(tools).value();
  }
  if (request.endpoint == Endpoint::ChatCompletions && body.contains("tool_choice") &&
      !body["tool_choice"].is_null()) {
    auto choice = translate_tool_choice(body["tool_choice"]);
    if (!choice) return std::move(choice).error();
    out["tool_choice"] = std::move(choice).value();
  }
  if (body.contains("parallel_tool_calls") && body["parallel_tool_calls"] == false &&
      out.contains("tools")) {
    if (!out.contains("tool_choice")) out["tool_choice"] = {{"type", "auto"}};
    if (out["tool_choice"]["type"] != "none") out["tool_choice"]["disable_parallel_tool_use"] = true;
  }
  if (request.stream) out["stream"] = true;
  return out;
}

}  // namespace

Result<Json> to_anthropic_request(const ChatRequest& request) {
  // Client JSON of an unexpected type makes nlohmann throw; that is the client's error.
  try {
    return translate_request(request);
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("cannot translate the request for Anthropic: ") + e.what(), "");
  }
}

}  // namespace hearth::upstream
