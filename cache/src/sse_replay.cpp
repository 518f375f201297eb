#include "hearth/cache/sse_replay.hpp"

namespace hearth::cache {
namespace {

bool is_continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

const Json& member_or_null(const Json& object, const char* name) {
  static const Json kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

std::string string_or_empty(const Json& value) {
  return value.is_string() ? value.get<std::string>() : std::string();
}

// Builds chunks that share one envelope (id, object, created, model, fingerprint).
class ChunkWriter {
 public:
  ChunkWriter(const Json& completion, bool chat, const ReplayIdentity& identity) {
    envelope_ = {{"id", identity.id},
                 {"object", chat ? "chat.completion.chunk" : "text_completion"},
                 {"created", identity.created},
                 {"model", member_or_null(completion, "model")}};
    const Json& fingerprint = member_or_null(completion, "system_fingerprint");
    if (!fingerprint.is_null()) envelope_["system_fingerprint"] = fingerprint;
  }

  void chat(int64_t index, Json delta, const Json& finish_reason = nullptr) {
    Json choice = {{"index", index},
                   {"delta", std::move(delta)},
                   {"logprobs", nullptr},
                   {"finish_reason", finish_reason}};
    emit(Json::array({std::move(choice)}));
  }

  void text(int64_t index, std::string piece, const Json& finish_reason = nullptr) {
    Json choice = {{"text", std::move(piece)},
                   {"index", index},
                   {"logprobs", nullptr},
                   {"finish_reason", finish_reason}};
    emit(Json::array({std::move(choice)}));
  }

  void usage(const Json& usage) {
    Json chunk = envelope_;
    chunk["choices"] = Json::array();
    chunk["usage"] = usage;
    chunks_.push_back(CompletionChunk{std::move(chunk)});
  }

  std::vector<CompletionChunk> take() { return std::move(chunks_); }

 private:
  void emit(Json choices) {
    Json chunk = envelope_;
    chunk["choices"] = std::move(choices);
    chunks_.push_back(CompletionChunk{std::move(chunk)});
  }

  Json envelope_;
  std::vector<CompletionChunk> chunks_;
};

void replay_chat_choice(ChunkWriter& out, int64_t index, const Json& choice, size_t piece_bytes) {
  const Json& message = member_or_null(choice, "message");
  const Json& content = member_or_null(message, "content");
  const Json& role = member_or_null(message, "role");

  // The role chunk, then the text.
  out.chat(index, {{"role", role.is_string() ? role : Json("assistant")},
                   {"content", content.is_string() ? Json("") : Json(nullptr)}});
  if (content.is_string()) {
    for (auto& piece : split_utf8(content.get_ref<const std::string&>(), piece_bytes)) {
      out.chat(index, {{"content", std::move(piece)}});
    }
  }
  const Json& refusal = member_or_null(message, "refusal");
  if (refusal.is_string()) {
    for (auto& piece : split_utf8(refusal.get_ref<const std::string&>(), piece_bytes)) {
      out.chat(index, {{"refusal", std::move(piece)}});
    }
  }

  // Each tool call: its id, type and name first, then the arguments in pieces.
  const Json& calls = member_or_null(message, "tool_calls");
  if (calls.is_array()) {
    for (size_t k = 0; k < calls.size(); ++k) {
      const Json& call = calls[k];
      const Json& function = member_or_null(call, "function");
      Json head = {{"index", k},
                   {"id", member_or_null(call, "id")},
                   {"type", member_or_null(call, "type").is_string() ? member_or_null(call, "type")
                                                                     : Json("function")},
                   {"function", {{"name", string_or_empty(member_or_null(function, "name"))},
                                 {"arguments", ""}}}};
      out.chat(index, {{"tool_calls", Json::array({std::move(head)})}});
      const std::string arguments = string_or_empty(member_or_null(function, "arguments"));
      for (auto& piece : split_utf8(arguments, piece_bytes)) {
        Json delta = {{"index", k}, {"function", {{"arguments", std::move(piece)}}}};
        out.chat(index, {{"tool_calls", Json::array({std::move(delta)})}});
      }
    }
  }

  // The finish chunk.
  out.chat(index, Json::object(), member_or_null(choice, "finish_reason"));
}

void replay_text_choice(ChunkWriter& out, int64_t index, const Json& choice, size_t piece_bytes) {
  const std::string text = string_or_empty(member_or_null(choice, "text"));
  for (auto& piece : split_utf8(text, piece_bytes)) out.text(index, std::move(piece));
  out.text(index, "", member_or_null(choice, "finish_reason"));
}

}  // namespace

std::vector<std::string> split_utf8(const std::string& text, size_t max_bytes) {
  std::vector<std::string> pieces;
  if (max_bytes == 0) max_bytes = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.size(), start + max_bytes);
    // Back off to the start of a UTF-8 sequence, unless that leaves nothing (a tiny limit).
    size_t cut = end;
    while (cut > start && cut < text.size() && is_continuation(text[cut])) --cut;
    if (cut == start) {
      cut = end;
      while (cut < text.size() && is_continuation(text[cut])) ++cut;
    }
    pieces.push_back(text.substr(start, cut - start));
    start = cut;
  }
  return pieces;
}

std::vector<CompletionChunk> replay_chunks(const Json& completion, bool include_usage,
                                           const ReplayIdentity& identity, size_t piece_bytes) {
  const bool chat = member_or_null(completion, "object") != "text_completion";
  ChunkWriter out(completion, chat, identity);
  const Json& choices = member_or_null(completion, "choices");
  if (choices.is_array()) {
    for (size_t i = 0; i < choices.size(); ++i) {
      const Json& choice = choices[i];
      const Json& index = member_or_null(choice, "index");
      const int64_t at = index.is_number_integer() ? index.get<int64_t>() : static_cast<int64_t>(i);
      if (chat) {
        replay_chat_choice(out, at, choice, piece_bytes);
      } else {
        replay_text_choice(out, at, choice, piece_bytes);
      }
    }
  }
  const Json& usage = member_or_null(completion, "usage");
  if (include_usage && !usage.is_null()) out.usage(usage);
  return out.take();
}

Json fresh_completion(Json completion, const ReplayIdentity& identity) {
  completion["id"] = identity.id;
  completion["created"] = identity.created;
  return completion;
}

bool can_replay(const Json& completion, bool stream, bool include_usage) {
  if ((!stream || include_usage) && member_or_null(completion, "usage").is_null()) return false;
  if (stream) {
    for (const auto& choice : member_or_null(completion, "choices")) {
      if (!member_or_null(choice, "logprobs").is_null()) return false;
    }
  }
  return true;
}

}  // namespace hearth::cache
