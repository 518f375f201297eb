#pragma once
// Pure translation between the OpenAI wire format (hearth's internal one) and Anthropic's
// Messages API: requests out, whole responses and stream events back. No I/O.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"

namespace hearth::upstream {

// Messages API default when the client sets no max_tokens (Anthropic requires one).
inline constexpr int64_t kAnthropicDefaultMaxTokens = 4096;

// The /v1/messages body for `request` (model = request.model). Reads the OpenAI fields from
// request.body: messages (or prompt for Endpoint::Completions), tools, tool_choice,
// parallel_tool_calls, stop, max_tokens / max_completion_tokens, temperature, top_p, user,
// stream. Errors: InvalidRequest for malformed input (param names the field),
// UpstreamRejected for what the Messages API cannot express (n > 1, audio parts, ...).
Result<Json> to_anthropic_request(const ChatRequest& request);

// OpenAI's finish_reason for an Anthropic stop_reason (null stays null).
Json finish_reason_from_anthropic(const Json& stop_reason);

// The OpenAI usage object for an Anthropic one (cache reads and writes count as prompt).
Json usage_from_anthropic(const Json& usage);

// A whole Anthropic message as an OpenAI chat.completion (or text_completion for
// Endpoint::Completions). `created` is the Unix time to stamp.
Result<Json> from_anthropic_message(const Json& message, Endpoint endpoint, int64_t created);

// Turns the events of one Anthropic stream into OpenAI chunks, one event at a time.
class AnthropicStreamTranslator {
 public:
  AnthropicStreamTranslator(Endpoint endpoint, bool include_usage, int64_t created)
      : endpoint_(endpoint), include_usage_(include_usage), created_(created) {}

  // The chunks for one event (often none). Errors: an `error` event, or events out of order
  // or malformed (UpstreamError).
  Result<std::vector<Json>> feed(std::string_view event, const Json& data);

  // Whether message_stop has been seen: the stream is complete.
  bool finished() const { return finished_; }

 private:
  Result<std::vector<Json>> feed_checked(std::string_view event, const Json& data);
  Json chunk(Json delta, Json finish_reason = nullptr) const;

  Endpoint endpoint_;
  bool include_usage_;
  int64_t created_;
  bool started_ = false;
  bool finished_ = false;
  std::string id_;
  std::string model_;
  Json usage_ = Json::object();              // Anthropic usage, merged as it arrives
  std::map<int64_t, int64_t> tool_index_;    // content block index → OpenAI tool_calls index
};

}  // namespace hearth::upstream
