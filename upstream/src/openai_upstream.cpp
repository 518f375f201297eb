#include "openai_upstream.hpp"

#include <vector>

#include "hearth/core/json_splice.hpp"
#include "hearth/upstream/upstream_errors.hpp"
#include "upstream_call.hpp"

namespace hearth::upstream {

namespace {

// Hands each `data:` object of an OpenAI event stream to the sink as it is (checked, not
// re-serialised), until [DONE]. The chunks of one read go out in one write.
class OpenAiStreamConsumer final : public SseConsumer {
 public:
  // `scanner` checks the objects and must outlive the consumer.
  OpenAiStreamConsumer(CompletionSink& sink, std::string_view route, EventScanner& scanner)
      : SseConsumer(sink, route), scanner_(scanner) {}

 private:
  Status take(std::span<const SseEvent> events, CompletionChunks& chunks) override {
    for (const SseEvent& event : events) {
      if (saw_done_) break;
      Status status = take(event, chunks);
      if (!status) return status;
    }
    return {};
  }
  bool saw_end() const override { return saw_done_; }

  Status take(const SseEvent& event, CompletionChunks& chunks) {
    if (event.data == "[DONE]") {
      saw_done_ = true;
      return {};
    }
    if (event.event == "error") {
      return make_error(ErrorCode::UpstreamError, "upstream reported an error mid-stream: " +
                                                      parse_error_body(event.data).message);
    }
    auto scan = scanner_.scan(event.data);
    if (!scan) {
      return make_error(ErrorCode::UpstreamError,
                        "upstream sent a malformed stream event (data is not a JSON object)");
    }
    if (scan->has_error) {
      return make_error(ErrorCode::UpstreamError, "upstream reported an error mid-stream: " +
                                                      parse_error_body(event.data).message);
    }
    chunks.push_back(CompletionChunk{WireObject::viewing_checked_text(event.data, *scan)});
    return {};
  }

  EventScanner& scanner_;
  bool saw_done_ = false;
};

// Whether the client's bytes already say what this call needs about streaming, so that only
// the model has to change in them. While the body holds them, `stream` and `include_usage`
// are what they say.
bool text_says_enough(const ChatRequest& request, bool include_usage) {
  return !request.body.wire_text().empty() && (!include_usage || request.include_usage);
}

// The body for the upstream: the client's bytes with the model spliced in where they say
// enough, else the client's JSON with hearth's fields set.
std::string upstream_body(const ChatRequest& request, std::string_view model, bool include_usage) {
  if (text_says_enough(request, include_usage)) {
    const std::string& text = request.body.wire_text();
    if (const auto& at = request.body.model_value()) return with_string_at(text, at->begin, at->end, model);
    if (auto spliced = with_string_member(text, "model", model)) return std::move(*spliced);
  }
  Json body = request.body.json();
  body["model"] = model;
  if (request.stream) {
    body["stream"] = true;
    if (include_usage) {
      if (!body["stream_options"].is_object()) body["stream_options"] = Json::object();
      body["stream_options"]["include_usage"] = true;
    }
  } else if (body.contains("stream")) {
    body["stream"] = false;
  }
  return dump_json(body);
}

// What every request to the upstream carries, `accept` aside.
std::shared_ptr<const HttpHeaders> standing_headers(const UpstreamConfig& config,
                                                    std::string_view accept) {
  auto headers = std::make_shared<HttpHeaders>();
  headers->reserve(3 + config.extra_headers.size());
  headers->emplace_back("Content-Type", "application/json");
  headers->emplace_back("Accept", accept);
  if (!config.api_key.empty()) headers->emplace_back("Authorization", "Bearer " + config.api_key);
  for (const auto& header : config.extra_headers) headers->push_back(header);
  return headers;
}

}  // namespace

OpenAiUpstream::OpenAiUpstream(UpstreamConfig config, HttpClient& client)
    : config_(std::move(config)),
      client_(client),
      chat_url_(join_url(config_.base_url, "/chat/completions")),
      completions_url_(join_url(config_.base_url, "/completions")),
      route_("upstream:" + config_.name),
      json_headers_(standing_headers(config_, "application/json")),
      stream_headers_(standing_headers(config_, "text/event-stream")) {}

Task<Status> OpenAiUpstream::complete(const ChatRequest& request, const RequestContext& context,
                                      CompletionSink& sink) {
  // Everything hearth does not decide on passes through as the client sent it.
  if (!request.body.is_object()) {
    co_return make_error(ErrorCode::InvalidRequest, "the request body must be a JSON object");
  }
  HttpRequest http;
  http.url = request.endpoint == Endpoint::Completions ? completions_url_ : chat_url_;
  http.shared_headers = request.stream ? stream_headers_ : json_headers_;
  const std::string_view model = target_model(request, context);
  http.body = upstream_body(request, model, wants_usage(request, context));
  http.timeouts = config_.timeouts;
  // The exact bytes are known now: the egress audit sees them before any leaves.
  if (context.egress_guard != nullptr) {
    const Egress egress{http.url, model, http.body};
    Status allowed = co_await context.egress_guard->before_send(egress);
    if (!allowed) co_return allowed;
  }

  const CallIdentity identity{config_.name, config_.api_key, context.deadline};
  if (request.stream) {
    OpenAiStreamConsumer consumer(sink, route_, stream_scanner_);
    UpstreamCall call(http, identity, &consumer);
    Status received = co_await client_.send(std::move(http), call.handler());
    co_return call.stream_outcome(std::move(received));
  }
  UpstreamCall call(http, identity);
  Status received = co_await client_.send(std::move(http), call.handler());
  Result<WireObject> answer = std::move(call).json_outcome(std::move(received));
  if (!answer) co_return std::move(answer).error();
  sink.set_route(route_);
  const Completion out{std::move(answer).value()};
  std::optional<Status> delivered = sink.send_completion_now(out);
  if (!delivered) delivered = co_await sink.send_completion(out);
  co_return std::move(*delivered);
}

}  // namespace hearth::upstream
