#include "restoring_sink.hpp"

#include <string>
#include <utility>
#include <vector>

namespace hearth::router {
namespace {

// A choice's "index", or its position when it has none.
int64_t index_of(const Json& item, size_t position) {
  auto index = item.find("index");
  if (index != item.end() && index->is_number_integer()) return index->get<int64_t>();
  return static_cast<int64_t>(position);
}

// Feeds `field` (when it is a string) through `restorer`; true when its text changed.
bool feed(Json& field, policies::Restorer& restorer) {
  if (!field.is_string()) return false;
  const std::string& text = field.get_ref<const std::string&>();
  std::string restored = restorer.feed(text);
  if (restored == text) return false;
  field = std::move(restored);
  return true;
}

// Appends `tail` to object[key], adding the member when it is absent or not a string.
void append(Json& object, const char* key, const std::string& tail) {
  Json& field = object[key];
  if (field.is_string()) {
    field.get_ref<std::string&>() += tail;
  } else {
    field = tail;
  }
}

// The "function" object of the tool call with `index` in delta.tool_calls, added if absent.
Json& tool_function(Json& delta, int64_t index) {
  Json& calls = delta["tool_calls"];
  if (!calls.is_array()) calls = Json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    Json& call = calls[i];
    if (!call.is_object() || index_of(call, i) != index) continue;
    Json& function = call["function"];
    if (!function.is_object()) function = Json::object();
    return function;
  }
  Json call = Json::object();
  call["index"] = index;
  call["function"] = Json::object();
  calls.push_back(std::move(call));
  return calls.back()["function"];
}

// `field` (when it is a string) with every placeholder replaced; true when it changed.
// `json_text`: the field holds JSON text (tool-call arguments), so originals go in escaped.
bool restore_whole(Json& field, const policies::RedactionMap& map, bool json_text = false) {
  if (!field.is_string()) return false;
  const std::string& text = field.get_ref<const std::string&>();
  policies::Restorer restorer(map, json_text);
  std::string restored = restorer.feed(text);
  restored += restorer.finish();
  if (restored == text) return false;
  field = std::move(restored);
  return true;
}

}  // namespace

RestoringSink::RestoringSink(CompletionSink& client, const policies::RedactionMap& map)
    : ForwardingSink(client), map_(map) {}

std::optional<CompletionChunk> RestoringSink::restore_chunk(const CompletionChunk& chunk) {
  if (map_.empty()) return std::nullopt;
  const Json& data = chunk.data.json();
  if (!data.is_object()) return std::nullopt;
  for (const char* key : {"id", "object", "created", "model"}) {
    if (auto it = data.find(key); it != data.end()) last_header_[key] = *it;
  }
  auto choices = data.find("choices");
  if (choices == data.end() || !choices->is_array() || choices->empty()) return std::nullopt;

  Json out = data;
  bool changed = false;
  Json& out_choices = out["choices"];
  for (size_t i = 0; i < out_choices.size(); ++i) {
    Json& choice = out_choices[i];
    if (!choice.is_object()) continue;
    const int64_t index = index_of(choice, i);
    auto found = choices_.find(index);
    ChoiceState* state = found == choices_.end() ? nullptr : &found->second;
    auto state_for = [&](bool chat) -> ChoiceState& {
      if (state == nullptr) state = &choices_.try_emplace(index, map_).first->second;
      state->chat = chat;
      return *state;
    };

    // Restore this chunk's text: delta.content and tool-call arguments, or text.
    auto delta = choice.find("delta");
    if (delta != choice.end() && delta->is_object()) {
      if (auto content = delta->find("content"); content != delta->end() && content->is_string()) {
        changed |= feed(*content, state_for(true).text);
      }
      auto calls = delta->find("tool_calls");
      if (calls != delta->end() && calls->is_array()) {
        for (size_t c = 0; c < calls->size(); ++c) {
          Json& call = (*calls)[c];
          if (!call.is_object()) continue;
          auto function = call.find("function");
          if (function == call.end() || !function->is_object()) continue;
          auto args = function->find("arguments");
          if (args == function->end() || !args->is_string()) continue;
          ChoiceState& s = state_for(true);
          auto restorer = s.arguments.try_emplace(index_of(call, c), map_, /*inside_json_string=*/true).first;
          changed |= feed(*args, restorer->second);
        }
      }
    } else if (auto text = choice.find("text"); text != choice.end() && text->is_string()) {
      changed |= feed(*text, state_for(false).text);
    }

    // A finish_reason ends the choice: release what its restorers hold back.
    auto reason = choice.find("finish_reason");
    if (state == nullptr || reason == choice.end() || reason->is_null()) continue;
    if (std::string tail = state->text.finish(); !tail.empty()) {
      if (state->chat) {
        Json& d = choice["delta"];
        if (!d.is_object()) d = Json::object();
        append(d, "content", tail);
      } else {
        append(choice, "text", tail);
      }
      changed = true;
    }
    for (auto& [call_index, restorer] : state->arguments) {
      std::string tail = restorer.finish();
      if (tail.empty()) continue;
      Json& d = choice["delta"];
      if (!d.is_object()) d = Json::object();
      append(tool_function(d, call_index), "arguments", tail);
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return CompletionChunk{std::move(out)};
}

std::optional<Completion> RestoringSink::restore_completion(const Completion& completion) const {
  if (map_.empty()) return std::nullopt;
  const Json& body = completion.body.json();
  if (!body.is_object()) return std::nullopt;
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) return std::nullopt;

  Json out = body;
  bool changed = false;
  for (Json& choice : out["choices"]) {
    if (!choice.is_object()) continue;
    if (auto text = choice.find("text"); text != choice.end()) changed |= restore_whole(*text, map_);
    auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) continue;
    if (auto content = message->find("content"); content != message->end()) {
      changed |= restore_whole(*content, map_);
    }
    auto calls = message->find("tool_calls");
    if (calls == message->end() || !calls->is_array()) continue;
    for (Json& call : *calls) {
      if (!call.is_object()) continue;
      auto function = call.find("function");
      if (function == call.end() || !function->is_object()) continue;
      if (auto args = function->find("arguments"); args != function->end()) {
        changed |= restore_whole(*args, map_, /*json_text=*/true);
      }
    }
  }
  if (!changed) return std::nullopt;
  return Completion{std::move(out)};
}

std::optional<CompletionChunk> RestoringSink::pending_chunk() {
  Json choices = Json::array();
  for (auto& [index, state] : choices_) {
    Json choice = Json::object();
    choice["index"] = index;
    std::string tail = state.text.finish();
    if (state.chat) {
      Json delta = Json::object();
      if (!tail.empty()) delta["content"] = std::move(tail);
      for (auto& [call_index, restorer] : state.arguments) {
        std::string args = restorer.finish();
        if (!args.empty()) append(tool_function(delta, call_index), "arguments", args);
      }
      if (delta.empty()) continue;
      choice["delta"] = std::move(delta);
    } else {
      if (tail.empty()) continue;
      choice["text"] = std::move(tail);
    }
    choice["finish_reason"] = nullptr;
    choices.push_back(std::move(choice));
  }
  if (choices.empty()) return std::nullopt;
  Json out = last_header_;
  out["choices"] = std::move(choices);
  return CompletionChunk{std::move(out)};
}

Task<Status> RestoringSink::send_chunk(const CompletionChunk& chunk) {
  const std::span<const CompletionChunk> one(&chunk, 1);
  co_return co_await send_chunks(one);
}

Task<Status> RestoringSink::send_chunks(std::span<const CompletionChunk> chunks) {
  // Pass the batch on as it is unless some chunk's text changed.
  std::vector<CompletionChunk> restored;
  bool changed = false;
  for (size_t i = 0; i < chunks.size(); ++i) {
    std::optional<CompletionChunk> chunk = restore_chunk(chunks[i]);
    if (chunk && !changed) {
      changed = true;
      restored.reserve(chunks.size());
      restored.assign(chunks.begin(), chunks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (!changed) continue;
    restored.push_back(chunk ? std::move(*chunk) : chunks[i]);
  }
  if (!changed) co_return co_await next_.send_chunks(chunks);
  const std::span<const CompletionChunk> view(restored);
  co_return co_await next_.send_chunks(view);
}

Task<Status> RestoringSink::send_completion(const Completion& completion) {
  const std::optional<Completion> restored = restore_completion(completion);
  if (!restored) co_return co_await next_.send_completion(completion);
  co_return co_await next_.send_completion(*restored);
}

Task<Status> RestoringSink::finish() {
  const std::optional<CompletionChunk> pending = pending_chunk();
  if (!pending) co_return Status{};
  co_return co_await next_.send_chunk(*pending);
}

}  // namespace hearth::router
