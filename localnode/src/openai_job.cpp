#include "hearth/localnode/openai_job.hpp"

#include <cmath>
#include <limits>

namespace hearth::localnode {
namespace {

Error invalid(std::string message, std::string param) {
  return make_error(ErrorCode::InvalidRequest, std::move(message), std::move(param));
}

Error unsupported(std::string message, std::string param) {
  return make_error(ErrorCode::Unsupported, "The local node " + std::move(message), std::move(param));
}

const Json* member(const Json& body, const char* name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

// A number field within [lo, hi], into `out`.
std::optional<Error> read_number(const Json& body, const char* name, double lo, double hi, float& out) {
  const Json* v = member(body, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number() || v->get<double>() < lo || v->get<double>() > hi) {
    return invalid("'" + std::string(name) + "' must be a number from " + std::to_string(lo).substr(0, 4) +
                       " to " + std::to_string(hi).substr(0, 4) + ".",
                   name);
  }
  out = v->get<float>();
  return std::nullopt;
}

std::optional<Error> read_sampling(const Json& body, SamplerOptions& s, uint64_t default_seed) {
  s.temperature = 1.0f;  // OpenAI's default
  for (auto [name, lo, hi, out] : {std::tuple{"temperature", 0.0, 2.0, &s.temperature},
                                   std::tuple{"top_p", 0.0, 1.0, &s.top_p},
                                   std::tuple{"min_p", 0.0, 1.0, &s.min_p},
                                   std::tuple{"frequency_penalty", -2.0, 2.0, &s.frequency_penalty},
                                   std::tuple{"presence_penalty", -2.0, 2.0, &s.presence_penalty},
                                   std::tuple{"repeat_penalty", 0.0, 10.0, &s.repeat_penalty}}) {
    if (auto e = read_number(body, name, lo, hi, *out)) return e;
  }
  if (const Json* k = member(body, "top_k")) {
    if (!k->is_number_integer() || k->get<int64_t>() < 0 || k->get<int64_t>() > 1'000'000) {
      return invalid("'top_k' must be a non-negative integer.", "top_k");
    }
    s.top_k = k->get<int>();
  }
  s.seed = default_seed;
  if (const Json* seed = member(body, "seed")) {
    if (!seed->is_number_integer()) return invalid("'seed' must be an integer.", "seed");
    s.seed = static_cast<uint64_t>(seed->get<int64_t>());
  }
  if (const Json* bias = member(body, "logit_bias")) {
    if (!bias->is_object()) return invalid("'logit_bias' must be an object of token ids to biases.", "logit_bias");
    for (const auto& [key, value] : bias->items()) {
      char* end = nullptr;
      const long id = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end != '\0' || id < 0 || id > std::numeric_limits<int32_t>::max() ||
          !value.is_number() || std::fabs(value.get<double>()) > 100) {
        return invalid("'logit_bias' maps token ids to numbers from -100 to 100.", "logit_bias");
      }
      // OpenAI: -100 bans the token.
      const float b = value.get<double>() <= -100 ? -std::numeric_limits<float>::infinity() : value.get<float>();
      s.logit_bias.emplace_back(static_cast<int32_t>(id), b);
    }
  }
  return std::nullopt;
}

std::optional<Error> read_limits(const ChatRequest& request, DecodeLimits& limits) {
  if (request.max_tokens) {
    if (*request.max_tokens < 1 || *request.max_tokens > std::numeric_limits<int>::max()) {
      return invalid("'max_tokens' must be at least 1.", "max_tokens");
    }
    limits.max_tokens = static_cast<int>(*request.max_tokens);
  } else {
    limits.max_tokens = 0;  // the context decides
  }
  if (const Json* stop = member(request.body.json(), "stop")) {
    if (stop->is_string()) {
      limits.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4) {
      for (const Json& s : *stop) {
        if (!s.is_string()) return invalid("'stop' must be a string or up to 4 strings.", "stop");
        limits.stop.push_back(s.get<std::string>());
      }
    } else {
      return invalid("'stop' must be a string or up to 4 strings.", "stop");
    }
  }
  return std::nullopt;
}

// A message's text: a string, or the text parts of an array.
Result<std::string> message_text(const Json& content, size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return invalid("content must be a string or an array of parts.", param);
  std::string text;
  for (const Json& part : content) {
    const std::string type = part.is_object() ? part.value("type", "") : "";
    if (type != "text") return unsupported("takes text only, not '" + type + "' content parts.", param);
    if (!part.contains("text") || !part["text"].is_string()) return invalid("a text part needs 'text'.", param);
    text += part["text"].get<std::string>();
  }
  return text;
}

Result<std::vector<int32_t>> chat_prompt(const ChatRequest& request, const Tokenizer& tokenizer,
                                         const ChatTemplate& chat_template) {
  if (const Json* tools = member(request.body.json(), "tools"); tools != nullptr && !tools->empty()) {
    return unsupported("does not call tools.", "tools");
  }
  std::vector<ChatTurn> turns;
  const std::vector<ChatMessage> messages = chat_messages(request.body.json());
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    auto text = message_text(m.content, i);
    if (!text) return std::move(text).error();
    // "developer" is OpenAI's newer name for the system role.
    turns.push_back({m.role == "developer" ? "system" : std::string(m.role), std::move(text).value()});
  }
  auto rendered = chat_template.render(turns, true);
  if (!rendered) {
    return invalid("The model's chat template (" + std::string(to_string(chat_template.format())) +
                       ") rejects these messages: " + rendered.error().message,
                   "messages");
  }
  return encode_chat(tokenizer, *rendered);
}

Result<std::vector<int32_t>> raw_prompt(const ChatRequest& request, const Tokenizer& tokenizer) {
  const Json* prompt = member(request.body.json(), "prompt");
  if (prompt == nullptr) return invalid("'prompt' is a required property.", "prompt");
  const Json* one = prompt;
  if (prompt->is_array() && !prompt->empty() && !(*prompt)[0].is_number_integer()) {
    if (prompt->size() != 1) return unsupported("takes one prompt per request.", "prompt");
    one = &(*prompt)[0];
  }
  if (one->is_string()) return tokenizer.encode(one->get<std::string>(), true);
  if (one->is_array()) {
    std::vector<int32_t> ids;
    for (const Json& id : *one) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() >= static_cast<int64_t>(tokenizer.n_vocab())) {
        return invalid("'prompt' token ids must be within the model's vocabulary.", "prompt");
      }
      ids.push_back(id.get<int32_t>());
    }
    return ids;
  }
  return invalid("'prompt' must be a string, an array of strings, or an array of tokens.", "prompt");
}

}  // namespace

Result<GenerationJob> job_from_request(const ChatRequest& request, const Tokenizer& tokenizer,
                                       const ChatTemplate& chat_template, uint64_t seed) {
  GenerationJob job;
  if (const Json* n = member(request.body.json(), "n"); n != nullptr && !(n->is_number_integer() && n->get<int64_t>() == 1)) {
    return unsupported("generates one choice per request (n = 1).", "n");
  }
  if (auto e = read_sampling(request.body.json(), job.sampling, seed)) return *e;
  if (auto e = read_limits(request, job.limits)) return *e;
  auto prompt = request.endpoint == Endpoint::ChatCompletions ? chat_prompt(request, tokenizer, chat_template)
                                                              : raw_prompt(request, tokenizer);
  if (!prompt) return std::move(prompt).error();
  if (prompt->empty()) return invalid("The prompt is empty.", "prompt");
  job.prompt = std::move(prompt).value();
  return job;
}

std::string_view openai_finish_reason(FinishReason reason) {
  switch (reason) {
    case FinishReason::Length:
    case FinishReason::ContextFull:
      return "length";
    default:
      return "stop";
  }
}

namespace {

Json envelope(const ResponseHead& head, const char* chat_object, Json choices) {
  return Json{{"id", head.id},
              {"object", head.endpoint == Endpoint::Completions ? "text_completion" : chat_object},
              {"created", head.created},
              {"model", head.model},
              {"choices", std::move(choices)}};
}

Json usage_json(const Usage& usage) {
  return Json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

}  // namespace

Json chunk_object(const ResponseHead& head, std::string_view text, bool first, const FinishReason* finish) {
  Json choice{{"index", 0}};
  if (head.endpoint == Endpoint::Completions) {
    choice["text"] = text;
  } else {
    Json delta = Json::object();
    if (first) delta["role"] = "assistant";
    if (!text.empty() || first) delta["content"] = text;
    choice["delta"] = std::move(delta);
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish != nullptr ? Json(openai_finish_reason(*finish)) : Json(nullptr);
  return envelope(head, "chat.completion.chunk", Json::array({std::move(choice)}));
}

Json usage_chunk_object(const ResponseHead& head, const Usage& usage) {
  Json chunk = envelope(head, "chat.completion.chunk", Json::array());
  chunk["usage"] = usage_json(usage);
  return chunk;
}

Json completion_object(const ResponseHead& head, std::string_view text, FinishReason finish,
                       const Usage& usage) {
  Json choice{{"index", 0}};
  if (head.endpoint == Endpoint::Completions) {
    choice["text"] = text;
  } else {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = openai_finish_reason(finish);
  Json body = envelope(head, "chat.completion", Json::array({std::move(choice)}));
  body["usage"] = usage_json(usage);
  return body;
}

}  // namespace hearth::localnode
