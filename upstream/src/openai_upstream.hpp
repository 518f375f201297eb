#pragma once
// OpenAiUpstream: a CompletionSource for any OpenAI-compatible server (OpenAI, vLLM,
// llama-server, Ollama, other hearth nodes). The request body goes out as the client sent
// it, with `model` set to the upstream's model name; responses come back untouched.
// Runs on the HttpClient's executor, and on that thread only; holds no per-request state.

#include <memory>
#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/core/wire_object.hpp"
#include "hearth/upstream/http_client.hpp"
#include "hearth/upstream/upstream_config.hpp"

namespace hearth::upstream {

class OpenAiUpstream final : public CompletionSource {
 public:
  OpenAiUpstream(UpstreamConfig config, HttpClient& client);

  // Never calls the sink before a valid first chunk (or the whole completion) is in hand,
  // so a failure before that leaves sink.committed() false and the caller may fail over.
  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

 private:
  UpstreamConfig config_;
  HttpClient& client_;
  // Per upstream, not per request:
  std::string chat_url_;         // base_url + /chat/completions
  std::string completions_url_;  // base_url + /completions
  std::string route_;            // upstream:<name>
  // The headers every request sends (content type, accept, credentials, extra headers), for a
  // JSON answer and for a stream: built once, shared by the requests.
  std::shared_ptr<const HttpHeaders> json_headers_;
  std::shared_ptr<const HttpHeaders> stream_headers_;
  // Checks the objects of this upstream's streams: it keeps the shapes they come in, which
  // repeat from stream to stream.
  EventScanner stream_scanner_;
};

}  // namespace hearth::upstream
