#include "hearth/upstream/upstream_config.hpp"

#include "anthropic_upstream.hpp"
#include "openai_upstream.hpp"

namespace hearth::upstream {

std::unique_ptr<CompletionSource> make_upstream(const UpstreamConfig& config, HttpClient& client) {
  switch (config.kind) {
    case Kind::Anthropic: return std::make_unique<AnthropicUpstream>(config, client);
    case Kind::OpenAi: break;
  }
  return std::make_unique<OpenAiUpstream>(config, client);
}

}  // namespace hearth::upstream
