#include "hearth/gateway/openai_codec.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "hearth/core/json_parse.hpp"
#include "hearth/core/wire_object.hpp"

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

// A value's tree, for a small member's checks: `text` has passed scan_json_object.
Json value_of(std::string_view text) {
  return parse_json(text, kMaxJsonDepth).value_or(Json());
}

// A positive integer's value, read straight from checked JSON text where it is one; anything
// else (a fraction, a negative, not a number) goes to the tree's checks.
std::optional<int64_t> positive_int_of(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  if (const auto [at, ec] = std::from_chars(text.data(), end, v);
      ec == std::errc{} && at == end && v > 0) {
    return v;
  }
  return as_positive_int(value_of(text));
}

// check_number_range for a member's checked JSON text: a number in range is read straight
// from it, without building a tree.
std::optional<Error> check_number_text(std::string_view text, const char* name, double low,
                                       double high) {
  double v = 0;
  const char* end = text.data() + text.size();
  if (const auto [at, ec] = std::from_chars(text.data(), end, v);
      ec == std::errc{} && at == end && v >= low && v <= high) {
    return std::nullopt;
  }
  const Json value = value_of(text);
  return check_number_range(&value, name, low, high);
}

// A checked JSON string's text, decoded: its bytes between the quotes when it has no escapes.
std::string string_of(std::string_view text) {
  if (text.find('\\') == std::string_view::npos) return std::string(text.substr(1, text.size() - 2));
  return value_of(text).get<std::string>();
}

bool is_string(std::string_view text) { return text.front() == '"'; }
bool is_boolean(std::string_view text) { return text == "true" || text == "false"; }

// The outline lists the request's values down to the members of a message's content parts:
// what the checks below read instead of a tree.
constexpr int kOutlineDepth = 5;  // messages[i].content[j].type
constexpr size_t kTopLevel = std::numeric_limits<size_t>::max();

// Calls `visit(index)` for each value `parent` holds (kTopLevel: the body's members).
template <class Visit>
void for_each_child(const JsonOutline& outline, size_t parent, Visit&& visit) {
  const int depth = parent == kTopLevel ? 1 : outline[parent].depth + 1;
  for (size_t i = parent == kTopLevel ? 0 : parent + 1;
       i < outline.size() && outline[i].depth >= depth; ++i) {
    if (outline[i].depth == depth) visit(i);
  }
}

// The text of each member of `parent` named in `names`, by the name's index; empty when absent
// or null (the two mean the same here). A duplicate name's last value wins, as in parse_json.
template <size_t N>
std::array<std::string_view, N> find_members(const JsonOutline& outline, size_t parent,
                                             const std::array<std::string_view, N>& names) {
  std::array<std::string_view, N> found{};
  for_each_child(outline, parent, [&](size_t i) {
    const OutlineEntry& member = outline[i];
    const std::string unescaped = member.name_escaped ? decode_json_name(member.name) : std::string();
    const std::string_view name = member.name_escaped ? std::string_view(unescaped) : member.name;
    for (size_t n = 0; n < N; ++n) {
      if (name == names[n]) found[n] = member.text == "null" ? std::string_view() : member.text;
    }
  });
  return found;
}

// The index of the entry whose text is `text` (a view found in the outline). Entries are in
// document order, so their texts start further on each time: a binary search finds it (a
// request of many messages must not cost a scan of the outline per message).
size_t index_of(const JsonOutline& outline, std::string_view text) {
  const auto at = std::lower_bound(outline.begin(), outline.end(), text.data(),
                                   [](const OutlineEntry& entry, const char* start) {
                                     return std::less<>()(entry.text.data(), start);
                                   });
  return static_cast<size_t>(at - outline.begin());
}

// Where the model's value lies in `body`, for a proxy to swap: known when one member holds it
// and no top-level name has escapes (which might spell "model" too).
std::optional<RequestBody::Span> model_span(const JsonOutline& outline, std::string_view body) {
  std::optional<RequestBody::Span> span;
  bool unsure = false;
  for_each_child(outline, kTopLevel, [&](size_t i) {
    const OutlineEntry& member = outline[i];
    if (member.name_escaped || (member.name == "model" && span)) {
      unsure = true;
    } else if (member.name == "model") {
      const auto begin = static_cast<size_t>(member.text.data() - body.data());
      span = RequestBody::Span{begin, begin + member.text.size()};
    }
  });
  if (unsure) return std::nullopt;
  return span;
}

std::optional<Error> check_content(const JsonOutline& outline, std::string_view content,
                                   std::string_view role, size_t i) {
  if (content.empty()) {
    if (role == "assistant") return std::nullopt;  // tool calls only
    const std::string param = message_param(i) + ".content";
    return invalid("'" + param + "' is required for role '" + std::string(role) + "'.", param);
  }
  if (is_string(content)) return std::nullopt;
  if (content.front() == '[') {
    size_t j = 0;
    std::optional<size_t> bad_part;
    for_each_child(outline, index_of(outline, content), [&](size_t part) {
      const std::string_view type = outline[part].text.front() == '{'
                                        ? find_members<1>(outline, part, {"type"})[0]
                                        : std::string_view();
      if ((type.empty() || !is_string(type)) && !bad_part) bad_part = j;
      ++j;
    });
    if (!bad_part) return std::nullopt;
    const std::string part_param = message_param(i) + ".content[" + std::to_string(*bad_part) + "]";
    return invalid("'" + part_param + "' must be an object with a string 'type'.", part_param);
  }
  const std::string param = message_param(i) + ".content";
  return invalid("'" + param + "' must be a string or an array of content parts, not " +
                     type_name(value_of(content)) + ".",
                 param);
}

std::optional<Error> check_messages(const JsonOutline& outline, std::string_view messages) {
  if (messages.empty()) return invalid("'messages' is a required property.", "messages");
  size_t count = 0;
  std::optional<Error> error;
  if (messages.front() == '[') {
    for_each_child(outline, index_of(outline, messages), [&](size_t m) {
      const size_t i = count++;
      if (error) return;
      const std::string_view message = outline[m].text;
      if (message.front() != '{') {
        const std::string where = message_param(i);
        error = invalid("'" + where + "' must be an object, not " + type_name(value_of(message)) + ".",
                        where);
        return;
      }
      const auto [role, content] = find_members<2>(outline, m, {"role", "content"});
      const std::string role_name = !role.empty() && is_string(role) ? string_of(role) : std::string();
      if (!is_known_role(role_name)) {
        const std::string where = message_param(i);
        error = invalid("'" + where + ".role' must be one of system, user, assistant, tool, developer.",
                        where + ".role");
        return;
      }
      error = check_content(outline, content, role_name, i);
    });
  }
  if (count == 0) return invalid("'messages' must be a non-empty array.", "messages");
  return error;
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

// The error for a body that is not one JSON object: which of parse_json's verdicts it is.
Error not_an_object(std::string_view body) {
  std::optional<Json> parsed = parse_json(body, kMaxJsonDepth);
  if (!parsed && json_too_deep(body, kMaxJsonDepth)) {
    return invalid("The JSON body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels.",
                   "");
  }
  if (!parsed || parsed->is_object()) {  // an object only if the two readers disagreed
    return make_error(ErrorCode::InvalidJson,
                      "We could not parse the JSON body of your request. The API expects a "
                      "JSON object in the body of a POST request.");
  }
  return invalid("The request body must be a JSON object, not " + type_name(*parsed) + ".", "");
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

Result<ChatRequest> decode_request(Endpoint endpoint, std::string body) {
  // Checked once, listing where its values lie; only the members decided on are read.
  JsonOutline outline;
  if (!scan_json_object(body, kMaxJsonDepth, kOutlineDepth, outline)) return not_an_object(body);
  static constexpr std::array<std::string_view, 10> kNames{
      "model", "messages", "prompt", "stream", "stream_options", "max_tokens",
      "max_completion_tokens", "temperature", "top_p", "n"};
  const auto [model, messages, prompt, stream, stream_options, max_tokens, max_completion_tokens,
              temperature, top_p, n] = find_members(outline, kTopLevel, kNames);

  ChatRequest request;
  request.endpoint = endpoint;

  // The model name.
  if (model.empty()) return invalid("You must provide a model parameter.", "model");
  if (is_string(model)) request.model = string_of(model);
  if (request.model.empty()) return invalid("'model' must be a non-empty string.", "model");

  // What to complete.
  if (endpoint == Endpoint::ChatCompletions) {
    if (auto error = check_messages(outline, messages)) return *error;
  } else if (prompt.empty() || !is_string(prompt)) {
    const Json value = prompt.empty() ? Json() : value_of(prompt);
    if (auto error = check_prompt(prompt.empty() ? nullptr : &value)) return *error;
  }

  // Streaming.
  if (!stream.empty()) {
    if (!is_boolean(stream)) {
      return invalid("'stream' must be a boolean, not " + type_name(value_of(stream)) + ".",
                     "stream");
    }
    request.stream = stream == "true";
  }
  if (!stream_options.empty()) {
    if (stream_options.front() != '{') {
      return invalid("'stream_options' must be an object.", "stream_options");
    }
    const size_t options = index_of(outline, stream_options);
    if (const auto usage = find_members<1>(outline, options, {"include_usage"})[0]; !usage.empty()) {
      if (!is_boolean(usage)) {
        return invalid("'stream_options.include_usage' must be a boolean.",
                       "stream_options.include_usage");
      }
      request.include_usage = request.stream && usage == "true";
    }
  }

  // Sampling and length.
  for (auto [name, text] : {std::pair{"max_tokens", max_tokens},
                            std::pair{"max_completion_tokens", max_completion_tokens}}) {
    if (text.empty()) continue;
    auto tokens = positive_int_of(text);
    if (!tokens) return invalid("'"s + name + "' must be a positive integer.", name);
    request.max_tokens = tokens;  // max_completion_tokens, checked last, wins
  }
  for (auto [name, text, high] : {std::tuple{"temperature", temperature, 2.0},
                                  std::tuple{"top_p", top_p, 1.0}}) {
    if (text.empty()) continue;
    if (auto error = check_number_text(text, name, 0, high)) return *error;
  }
  if (!n.empty() && !positive_int_of(n)) {
    return invalid("'n' must be an integer of at least 1.", "n");
  }

  const auto model_value = model_span(outline, body);
  request.body = RequestBody::from_checked_text(std::move(body), model_value);
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
