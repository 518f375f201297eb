#pragma once
// AnthropicUpstream: a CompletionSource for the Anthropic Messages API. Translates the
// OpenAI-shaped request to /v1/messages and the answer (whole or streamed) back into
// OpenAI chat.completion / chunk (or text_completion) objects.
// Runs on the HttpClient's executor; holds no per-request state.

#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/upstream/http_client.hpp"
#include "hearth/upstream/upstream_config.hpp"

namespace hearth::upstream {

class AnthropicUpstream final : public CompletionSource {
 public:
  static constexpr const char* kApiVersion = "2023-06-01";

  AnthropicUpstream(UpstreamConfig config, HttpClient& client);

  // Same commit rule as OpenAiUpstream: the sink sees nothing before a valid first event.
  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

 private:
  UpstreamConfig config_;
  HttpClient& client_;
  // Per upstream, not per request:
  std::string messages_url_;  // base_url + /v1/messages
  std::string route_;         // upstream:<name>
};

}  // namespace hearth::upstream
