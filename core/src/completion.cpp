#include "hearth/core/completion.hpp"

namespace hearth {

std::optional<Usage> usage_of(const Json& object) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find("usage");
  if (it == object.end() || !it->is_object()) return std::nullopt;
  Usage usage;
  usage.prompt_tokens = it->value("prompt_tokens", int64_t{0});
  usage.completion_tokens = it->value("completion_tokens", int64_t{0});
  usage.total_tokens = it->value("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  return usage;
}

Json to_json(const Usage& usage) {
  return Json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"total_tokens", usage.total_tokens}};
}

}  // namespace hearth
