#include "hearth/cache/cache_policy.hpp"

namespace hearth::cache {

bool is_deterministic(const Json& body) {
  if (!body.is_object()) return false;
  auto seed = body.find("seed");
  if (seed != body.end() && !seed->is_null()) return true;
  auto temperature = body.find("temperature");
  return temperature != body.end() && temperature->is_number() &&
         temperature->get<double>() == 0.0;
}

CachePlan plan_request(const ChatRequest& request, const CacheOptions& options) {
  CachePlan plan;
  if (!options.nondeterministic && !is_deterministic(request.body.json())) {
    plan.bypass_reason = "nondeterministic";
    return plan;
  }
  plan.read = !request.cache.no_cache;
  plan.write = !request.cache.no_store;
  if (!plan.read) plan.bypass_reason = plan.write ? "no_cache" : "no_store";
  return plan;
}

bool is_cacheable_finish(std::string_view finish_reason) {
  return finish_reason == "stop" || finish_reason == "length" || finish_reason == "tool_calls";
}

bool is_cacheable_completion(const Json& body) {
  if (!body.is_object()) return false;
  if (auto error = body.find("error"); error != body.end() && !error->is_null()) return false;
  auto object = body.find("object");
  if (object == body.end() || !object->is_string()) return false;
  const bool chat = *object == "chat.completion";
  if (!chat && *object != "text_completion") return false;
  auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) return false;
  for (const auto& choice : *choices) {
    if (!choice.is_object()) return false;
    auto finish = choice.find("finish_reason");
    if (finish == choice.end() || !finish->is_string() ||
        !is_cacheable_finish(finish->get_ref<const std::string&>())) {
      return false;
    }
    if (chat) {
      auto message = choice.find("message");
      if (message == choice.end() || !message->is_object()) return false;
    } else {
      auto text = choice.find("text");
      if (text == choice.end() || !text->is_string()) return false;
    }
  }
  return true;
}

}  // namespace hearth::cache
