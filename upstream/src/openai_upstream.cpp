#include "openai_upstream.hpp"

#include "hearth/upstream/upstream_errors.hpp"
#include "upstream_call.hpp"

namespace hearth::upstream {

namespace {

// Hands each `data:` object of an OpenAI event stream to the sink as it is, until [DONE].
class OpenAiStreamConsumer final : public SseConsumer {
 public:
  OpenAiStreamConsumer(CompletionSink& sink, std::string route)
      : sink_(sink), route_(std::move(route)) {}

  Task<Status> on_event(const SseEvent& event) override {
    if (event.data == "[DONE]") {
      finished_ = true;
      co_return Status{};
    }
    if (event.event == "error") {
      co_return make_error(ErrorCode::UpstreamError, "upstream reported an error mid-stream: " +
                                                         parse_error_body(event.data).message);
    }
    Json chunk = Json::parse(event.data, nullptr, /*allow_exceptions=*/false);
    if (chunk.is_discarded() || !chunk.is_object()) {
      co_return make_error(ErrorCode::UpstreamError,
                           "upstream sent a malformed stream event (data is not a JSON object)");
    }
    if (auto error = chunk.find("error"); error != chunk.end() && !error->is_null()) {
      co_return make_error(ErrorCode::UpstreamError, "upstream reported an error mid-stream: " +
                                                         parse_error_body(event.data).message);
    }
    // Only now, with a valid chunk in hand, does the response commit.
    if (!sink_.committed()) sink_.set_route(route_);
    // Named, not a temporary: GCC 12 can destroy temporaries in a co_await twice.
    const CompletionChunk out{std::move(chunk)};
    Status sent = co_await sink_.send_chunk(out);
    co_return sent;
  }

  bool finished() const override { return finished_; }

 private:
  CompletionSink& sink_;
  std::string route_;
  bool finished_ = false;
};

}  // namespace

OpenAiUpstream::OpenAiUpstream(UpstreamConfig config, HttpClient& client)
    : config_(std::move(config)), client_(client) {}

Task<Status> OpenAiUpstream::complete(const ChatRequest& request, const RequestContext& context,
                                      CompletionSink& sink) {
  // Everything hearth does not decide on passes through as the client sent it.
  if (!request.body.is_object()) {
    co_return make_error(ErrorCode::InvalidRequest, "the request body must be a JSON object");
  }
  Json body = request.body;
  body["model"] = request.model;
  if (request.stream) {
    body["stream"] = true;
    if (request.include_usage) {
      if (!body["stream_options"].is_object()) body["stream_options"] = Json::object();
      body["stream_options"]["include_usage"] = true;
    }
  } else if (body.contains("stream")) {
    body["stream"] = false;
  }

  HttpRequest http;
  http.url = join_url(config_.base_url, request.endpoint == Endpoint::Completions
                                            ? "/completions"
                                            : "/chat/completions");
  http.headers.emplace_back("Content-Type", "application/json");
  http.headers.emplace_back("Accept", request.stream ? "text/event-stream" : "application/json");
  if (!config_.api_key.empty()) http.headers.emplace_back("Authorization", "Bearer " + config_.api_key);
  for (const auto& header : config_.extra_headers) http.headers.push_back(header);
  http.body = dump_json(body);
  http.timeouts = config_.timeouts;

  const CallIdentity identity{config_.name, config_.api_key, context.deadline};
  const std::string route = "upstream:" + config_.name;
  if (request.stream) {
    OpenAiStreamConsumer consumer(sink, route);
    co_return co_await call_event_stream(client_, std::move(http), identity, consumer);
  }
  Result<Json> answer = co_await call_json(client_, std::move(http), identity);
  if (!answer) co_return std::move(answer).error();
  sink.set_route(route);
  const Completion out{std::move(answer).value()};
  Status sent = co_await sink.send_completion(out);
  co_return sent;
}

}  // namespace hearth::upstream
