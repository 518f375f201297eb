#include "anthropic_upstream.hpp"

#include <chrono>
#include <vector>

#include "hearth/core/json_parse.hpp"
#include "hearth/upstream/anthropic_translate.hpp"
#include "upstream_call.hpp"

namespace hearth::upstream {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Translates Anthropic stream events into OpenAI chunks and sends them to the sink.
class AnthropicStreamConsumer final : public SseConsumer {
 public:
  AnthropicStreamConsumer(Endpoint endpoint, bool include_usage, CompletionSink& sink,
                          std::string_view route)
      : SseConsumer(sink, route), translator_(endpoint, include_usage, unix_now()) {}

 private:
  Status take(std::span<const SseEvent> events, CompletionChunks& chunks) override {
    for (const SseEvent& event : events) {
      if (translator_.finished()) break;
      Status status = take(event, chunks);
      if (!status) return status;
    }
    return {};
  }
  bool saw_end() const override { return translator_.finished(); }

  Status take(const SseEvent& event, CompletionChunks& chunks) {
    std::optional<Json> parsed = parse_json(event.data);
    if (!parsed) {
      return make_error(ErrorCode::UpstreamError,
                        "upstream sent a malformed stream event (data is not JSON)");
    }
    auto translated = translator_.feed(event.event, *parsed);
    if (!translated) return std::move(translated).error();
    for (Json& chunk : *translated) chunks.push_back(CompletionChunk{std::move(chunk)});
    return {};
  }

  AnthropicStreamTranslator translator_;
};

}  // namespace

AnthropicUpstream::AnthropicUpstream(UpstreamConfig config, HttpClient& client)
    : config_(std::move(config)),
      client_(client),
      messages_url_(join_url(config_.base_url, "/v1/messages")),
      route_("upstream:" + config_.name) {}

Task<Status> AnthropicUpstream::complete(const ChatRequest& request, const RequestContext& context,
                                         CompletionSink& sink) {
  auto body = to_anthropic_request(request);
  if (!body) co_return std::move(body).error();
  const std::string_view model = target_model(request, context);
  (*body)["model"] = model;

  HttpRequest http;
  http.url = messages_url_;
  http.headers.emplace_back("Content-Type", "application/json");
  http.headers.emplace_back("Accept", request.stream ? "text/event-stream" : "application/json");
  http.headers.emplace_back("anthropic-version", kApiVersion);
  if (!config_.api_key.empty()) http.headers.emplace_back("x-api-key", config_.api_key);
  for (const auto& header : config_.extra_headers) http.headers.push_back(header);
  http.body = dump_json(*body);
  http.timeouts = config_.timeouts;
  // The exact bytes are known now: the egress audit sees them before any leaves.
  if (context.egress_guard != nullptr) {
    const Egress egress{http.url, model, http.body};
    Status allowed = co_await context.egress_guard->before_send(egress);
    if (!allowed) co_return allowed;
  }

  const CallIdentity identity{config_.name, config_.api_key, context.deadline};
  if (request.stream) {
    AnthropicStreamConsumer consumer(request.endpoint, wants_usage(request, context), sink, route_);
    UpstreamCall call(http, identity, &consumer);
    Status received = co_await client_.send(std::move(http), call.handler());
    co_return call.stream_outcome(std::move(received));
  }
  UpstreamCall call(http, identity);
  Status received = co_await client_.send(std::move(http), call.handler());
  Result<WireObject> answer = std::move(call).json_outcome(std::move(received));
  if (!answer) co_return std::move(answer).error();
  auto completion = from_anthropic_message(answer->json(), request.endpoint, unix_now());
  if (!completion) {
    Error error = std::move(completion).error();
    error.message.insert(9, config_.name + ": ");  // "upstream <name>: ..."
    co_return error;
  }
  sink.set_route(route_);
  const Completion out{std::move(completion).value()};
  std::optional<Status> delivered = sink.send_completion_now(out);
  if (!delivered) delivered = co_await sink.send_completion(out);
  co_return std::move(*delivered);
}

}  // namespace hearth::upstream
