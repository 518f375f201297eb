#include "hearth/gateway/openai_codec.hpp"

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "hearth/core/json_parse.hpp"

namespace hearth::gateway {
namespace {

using namespace std::string_literals;

Error invalid(std::string message, std::string param) {
  return make_error(ErrorCode::InvalidRequest, std::move(message), std::move(param));
}

std::string type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

// The member `name`, or nullptr when absent or null (absent and null mean the same here).
const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> as_positive_int(const Json& value) {
  if (value.is_number_unsigned()) {
    auto v = value.get<uint64_t>();
    if (v == 0 || v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer()) {
    auto v = value.get<int64_t>();
    if (v > 0) return v;
  }
  return std::nullopt;
}

std::optional<Error> check_number_range(const Json* value, const char* name, double low,
                                        double high) {
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    return invalid("'"s + name + "' must be a number, not " + type_name(*value) + ".", name);
  }
  double v = value->get<double>();
  if (v < low || v > high) {
    return invalid("'"s + name + "' must be between " + Json(low).dump() + " and " +
                       Json(high).dump() + ".",
                   name);
  }
  return std::nullopt;
}

bool is_known_role(std::string_view role) {
  static constexpr std::array<std::string_view, 6> kRoles{"system", "user",      "assistant",
                                                          "tool",   "developer", "function"};
  for (auto known : kRoles) {
    if (role == known) return true;
  }
  return false;
}

// "messages[i]", for an error's message and param.
std::string message_param(size_t i) {
  return "messages[" + std::to_string(i) + "]";
}

std::optional<Error> check_content(const Json* content, std::string_view role, size_t i) {
  if (content == nullptr) {
    if (role == "assistant") return std::nullopt;  // tool calls only
    const std::string param = message_param(i) + ".content";
    return invalid("'" + param + "' is required for role '" + std::string(role) + "'.", param);
  }
  if (content->is_string()) return std::nullopt;
  if (content->is_array()) {
    for (size_t j = 0; j < content->size(); ++j) {
      const Json& part = (*content)[j];
      auto type = part.is_object() ? part.find("type") : part.end();
      if (!part.is_object() || type == part.end() || !type->is_string()) {
        const std::string part_param = message_param(i) + ".content[" + std::to_string(j) + "]";
        return invalid("'" + part_param + "' must be an object with a string 'type'.", part_param);
      }
    }
    return std::nullopt;
  }
  const std::string param = message_param(i) + ".content";
  return invalid("'" + param + "' must be a string or an array of content parts, not " +
                     type_name(*content) + ".",
                 param);
}

Result<std::vector<ChatMessage>> decode_messages(const Json* messages) {
  if (messages == nullptr) return invalid("'messages' is a required property.", "messages");
  if (!messages->is_array() || messages->empty()) {
    return invalid("'messages' must be a non-empty array.", "messages");
  }
  std::vector<ChatMessage> out;
  out.reserve(messages->size());
  for (size_t i = 0; i < messages->size(); ++i) {
    const Json& message = (*messages)[i];
    if (!message.is_object()) {
      const std::string where = message_param(i);
      return invalid("'" + where + "' must be an object, not " + type_name(message) + ".", where);
    }
    const Json* role = member(message, "role");
    if (role == nullptr || !role->is_string() || !is_known_role(role->get_ref<const std::string&>())) {
      const std::string where = message_param(i);
      return invalid("'" + where +
                         ".role' must be one of system, user, assistant, tool, developer.",
                     where + ".role");
    }
    const auto& role_name = role->get_ref<const std::string&>();
    const Json* content = member(message, "content");
    if (auto error = check_content(content, role_name, i)) return *error;
    out.push_back(ChatMessage{role_name, content ? *content : Json(nullptr)});
  }
  return out;
}

bool is_token_array(const Json& value) {
  if (!value.is_array() || value.empty()) return false;
  for (const auto& token : value) {
    if (!token.is_number_integer()) return false;
  }
  return true;
}

std::optional<Error> check_prompt(const Json* prompt) {
  if (prompt == nullptr) return invalid("'prompt' is a required property.", "prompt");
  if (prompt->is_string()) return std::nullopt;
  if (prompt->is_array() && !prompt->empty()) {
    bool ok = true;
    for (const auto& item : *prompt) {
      ok = ok && (item.is_string() || item.is_number_integer() || is_token_array(item));
    }
    if (ok) return std::nullopt;
  }
  return invalid("'prompt' must be a string, an array of strings, or an array of tokens.",
                 "prompt");
}

// The top-level members decode_request reads, found in one pass over the body rather than a
// map lookup each. A null member counts as absent.
struct RequestMembers {
  const Json* model = nullptr;
  const Json* messages = nullptr;
  const Json* prompt = nullptr;
  const Json* stream = nullptr;
  const Json* stream_options = nullptr;
  const Json* max_tokens = nullptr;
  const Json* max_completion_tokens = nullptr;
  const Json* temperature = nullptr;
  const Json* top_p = nullptr;
  const Json* n = nullptr;
};

RequestMembers find_members(const Json& body) {
  RequestMembers found;
  for (const auto& [key, value] : body.get_ref<const Json::object_t&>()) {
    if (value.is_null()) continue;
    const std::string_view name = key;
    const Json** slot = name == "model"                   ? &found.model
                        : name == "messages"              ? &found.messages
                        : name == "prompt"                ? &found.prompt
                        : name == "stream"                ? &found.stream
                        : name == "stream_options"        ? &found.stream_options
                        : name == "max_tokens"            ? &found.max_tokens
                        : name == "max_completion_tokens" ? &found.max_completion_tokens
                        : name == "temperature"           ? &found.temperature
                        : name == "top_p"                 ? &found.top_p
                        : name == "n"                     ? &found.n
                                                          : nullptr;
    if (slot != nullptr) *slot = &value;
  }
  return found;
}

}  // namespace

bool json_too_deep(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[': case '{':
        if (++depth > max_depth) return true;
        break;
      case ']': case '}': --depth; break;
      default: break;
    }
  }
  return false;
}

Result<ChatRequest> decode_request(Endpoint endpoint, std::string_view body) {
  std::optional<Json> parsed = parse_json(body, kMaxJsonDepth);
  if (!parsed) {
    if (json_too_deep(body, kMaxJsonDepth)) {
      return invalid("The JSON body nests deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels.",
                     "");
    }
    return make_error(ErrorCode::InvalidJson,
                      "We could not parse the JSON body of your request. The API expects a "
                      "JSON object in the body of a POST request.");
  }
  Json& json = *parsed;
  if (!json.is_object()) {
    return invalid("The request body must be a JSON object, not " + type_name(json) + ".", "");
  }

  ChatRequest request;
  request.endpoint = endpoint;
  const RequestMembers members = find_members(json);

  // The model name.
  const Json* model = members.model;
  if (model == nullptr) return invalid("You must provide a model parameter.", "model");
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    return invalid("'model' must be a non-empty string.", "model");
  }
  request.model = model->get<std::string>();

  // What to complete.
  if (endpoint == Endpoint::ChatCompletions) {
    auto messages = decode_messages(members.messages);
    if (!messages) return std::move(messages).error();
    request.messages = std::move(*messages);
  } else if (auto error = check_prompt(members.prompt)) {
    return *error;
  }

  // Streaming.
  if (const Json* stream = members.stream) {
    if (!stream->is_boolean()) {
      return invalid("'stream' must be a boolean, not " + type_name(*stream) + ".", "stream");
    }
    request.stream = stream->get<bool>();
  }
  if (const Json* options = members.stream_options) {
    if (!options->is_object()) {
      return invalid("'stream_options' must be an object.", "stream_options");
    }
    if (const Json* usage = member(*options, "include_usage")) {
      if (!usage->is_boolean()) {
        return invalid("'stream_options.include_usage' must be a boolean.",
                       "stream_options.include_usage");
      }
      request.include_usage = request.stream && usage->get<bool>();
    }
  }

  // Sampling and length.
  for (auto [name, value] : {std::pair{"max_tokens", members.max_tokens},
                             std::pair{"max_completion_tokens", members.max_completion_tokens}}) {
    if (value == nullptr) continue;
    auto tokens = as_positive_int(*value);
    if (!tokens) return invalid("'"s + name + "' must be a positive integer.", name);
    request.max_tokens = tokens;  // max_completion_tokens, checked last, wins
  }
  if (auto error = check_number_range(members.temperature, "temperature", 0, 2)) return *error;
  if (auto error = check_number_range(members.top_p, "top_p", 0, 1)) return *error;
  if (const Json* n = members.n; n != nullptr && !as_positive_int(*n)) {
    return invalid("'n' must be an integer of at least 1.", "n");
  }

  request.body = std::move(json);
  request.body_text.assign(body);
  return request;
}

Json models_list(const std::vector<ModelInfo>& models, int64_t created_unix_seconds) {
  Json data = Json::array();
  for (const auto& model : models) {
    Json entry{{"id", model.id},
               {"object", "model"},
               {"created", created_unix_seconds},
               {"owned_by", model.owned_by}};
    if (!model.routes.is_null()) entry["hearth_routes"] = model.routes;
    data.push_back(std::move(entry));
  }
  return Json{{"object", "list"}, {"data", std::move(data)}};
}

}  // namespace hearth::gateway
