#include "hearth/cache/stream_assembler.hpp"

namespace hearth::cache {
namespace {

const Json* member(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

StreamAssembler::StreamAssembler(uint64_t max_bytes) : max_bytes_(max_bytes) {}

void StreamAssembler::fail(std::string why) {
  if (!error_) error_ = std::move(why);
}

bool StreamAssembler::count(size_t bytes) {
  bytes_ += bytes;
  if (bytes_ <= max_bytes_) return true;
  fail("the stream is larger than the entry limit");
  return false;
}

void StreamAssembler::add(const Json& chunk) {
  if (error_) return;
  if (!chunk.is_object()) return fail("a chunk is not an object");
  if (member(chunk, "error") != nullptr) return fail("the stream carried an error");

  // The envelope: the first chunk's id, created, model and fingerprint.
  const Json* object = member(chunk, "object");
  if (object != nullptr && object->is_string()) {
    if (object_.empty()) {
      object_ = object->get<std::string>();
      if (object_ != "chat.completion.chunk" && object_ != "text_completion") {
        return fail("unknown chunk object '" + object_ + "'");
      }
    } else if (*object != object_) {
      return fail("the chunks change their object type");
    }
  }
  for (auto [name, into] : {std::pair{"id", &id_}, std::pair{"created", &created_},
                            std::pair{"model", &model_},
                            std::pair{"system_fingerprint", &system_fingerprint_}}) {
    if (into->is_null()) {
      if (const Json* value = member(chunk, name)) *into = *value;
    }
  }
  if (const Json* usage = member(chunk, "usage")) usage_ = *usage;

  // The choices' deltas.
  const Json* choices = member(chunk, "choices");
  if (choices == nullptr) return;
  if (!choices->is_array()) return fail("choices is not an array");
  for (const Json& delta_choice : *choices) {
    if (!delta_choice.is_object()) return fail("a choice is not an object");
    const Json* index = member(delta_choice, "index");
    if (index != nullptr && !index->is_number_integer()) return fail("a choice index is not an integer");
    Choice& choice = choices_[index ? index->get<int64_t>() : 0];
    if (const Json* delta = member(delta_choice, "delta")) {
      if (!delta->is_object()) return fail("a delta is not an object");
      add_chat_delta(choice, *delta);
    }
    if (const Json* text = member(delta_choice, "text")) {
      if (!text->is_string()) return fail("text is not a string");
      const auto& piece = text->get_ref<const std::string&>();
      if (!count(piece.size())) return;
      choice.content = choice.content.value_or("") + piece;
    }
    if (const Json* logprobs = member(delta_choice, "logprobs")) add_logprobs(choice, *logprobs);
    if (const Json* finish = member(delta_choice, "finish_reason")) {
      if (!finish->is_string()) return fail("finish_reason is not a string");
      choice.finish_reason = finish->get<std::string>();
    }
    if (error_) return;
  }
}

void StreamAssembler::add_chat_delta(Choice& choice, const Json& delta) {
  auto append = [this](std::optional<std::string>& into, const Json* piece) {
    if (piece == nullptr) return;
    if (!piece->is_string()) return fail("a delta text is not a string");
    const auto& text = piece->get_ref<const std::string&>();
    if (!count(text.size())) return;
    if (!into) into.emplace();
    *into += text;
  };
  if (const Json* role = member(delta, "role"); role != nullptr && role->is_string()) {
    choice.role = role->get<std::string>();
  }
  append(choice.content, member(delta, "content"));
  append(choice.refusal, member(delta, "refusal"));
  if (error_) return;
  const Json* calls = member(delta, "tool_calls");
  if (calls == nullptr) return;
  if (!calls->is_array()) return fail("tool_calls is not an array");
  for (const Json& call : *calls) {
    if (!call.is_object()) return fail("a tool call is not an object");
    const Json* index = member(call, "index");
    if (index == nullptr || !index->is_number_integer()) return fail("a tool call has no index");
    ToolCall& into = choice.tool_calls[index->get<int64_t>()];
    if (const Json* id = member(call, "id"); id != nullptr && id->is_string()) into.id = id->get<std::string>();
    if (const Json* type = member(call, "type"); type != nullptr && type->is_string()) {
      into.type = type->get<std::string>();
    }
    const Json* function = member(call, "function");
    if (function == nullptr) continue;
    if (!function->is_object()) return fail("a tool call's function is not an object");
    for (auto [name, text] : {std::pair{"name", &into.name}, std::pair{"arguments", &into.arguments}}) {
      const Json* piece = member(*function, name);
      if (piece == nullptr) continue;
      if (!piece->is_string()) return fail("a tool call field is not a string");
      const auto& part = piece->get_ref<const std::string&>();
      if (!count(part.size())) return;
      *text += part;
    }
  }
}

void StreamAssembler::add_logprobs(Choice& choice, const Json& logprobs) {
  if (!logprobs.is_object()) return fail("logprobs is not an object");
  if (!count(logprobs.dump().size())) return;
  if (choice.logprobs.is_null()) choice.logprobs = Json::object();
  // Chat: {"content": [...], "refusal": [...]}; legacy: parallel arrays. Arrays are joined.
  for (const auto& [name, value] : logprobs.items()) {
    Json& into = choice.logprobs[name];
    if (value.is_array() && (into.is_array() || into.is_null())) {
      if (into.is_null()) into = Json::array();
      into.insert(into.end(), value.begin(), value.end());
    } else {
      into = value;
    }
  }
}

Result<Json> StreamAssembler::completion() const {
  if (error_) return make_error(ErrorCode::UpstreamError, *error_);
  if (choices_.empty()) return make_error(ErrorCode::UpstreamError, "the stream had no choices");
  const bool chat = object_ != "text_completion";
  Json choices = Json::array();
  for (const auto& [index, choice] : choices_) {
    if (!choice.finish_reason) {
      return make_error(ErrorCode::UpstreamError, "choice " + std::to_string(index) + " never finished");
    }
    Json out = {{"index", index}};
    if (chat) {
      Json message = {{"role", choice.role.value_or("assistant")},
                      {"content", choice.content ? Json(*choice.content) : Json(nullptr)}};
      if (choice.refusal) message["refusal"] = *choice.refusal;
      if (!choice.tool_calls.empty()) {
        Json calls = Json::array();
        for (const auto& [call_index, call] : choice.tool_calls) {
          calls.push_back({{"id", call.id},
                           {"type", call.type.empty() ? "function" : call.type},
                           {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
        }
        message["tool_calls"] = std::move(calls);
      }
      out["message"] = std::move(message);
    } else {
      out["text"] = choice.content.value_or("");
    }
    out["logprobs"] = choice.logprobs;
    out["finish_reason"] = *choice.finish_reason;
    choices.push_back(std::move(out));
  }
  Json body = {{"id", id_},
               {"object", chat ? "chat.completion" : "text_completion"},
               {"created", created_},
               {"model", model_},
               {"choices", std::move(choices)}};
  if (!system_fingerprint_.is_null()) body["system_fingerprint"] = system_fingerprint_;
  if (!usage_.is_null()) body["usage"] = usage_;
  return body;
}

}  // namespace hearth::cache
