#pragma once
// OpenAI requests to engine jobs and engine output to OpenAI objects, for the local node:
// pure translation, tested with tables. A chat request is rendered with the model's chat
// template; a completions request takes its prompt as text or token ids. Sampling fields
// follow OpenAI (temperature, top_p, seed, stop, max_tokens, frequency/presence penalties,
// logit_bias) plus llama.cpp's top_k, min_p and repeat_penalty.

#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"
#include "hearth/core/completion.hpp"
#include "hearth/core/result.hpp"
#include "hearth/localnode/chat_template.hpp"
#include "hearth/localnode/scheduler.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

// The job for `request`; `seed` is used when the request names none. Errors name the field:
// InvalidRequest for a malformed value, Unsupported for what the local node does not do
// (tools, images, n > 1) so that the router may try another route.
[[nodiscard]] Result<GenerationJob> job_from_request(const ChatRequest& request,
                                                     const Tokenizer& tokenizer,
                                                     const ChatTemplate& chat_template,
                                                     uint64_t seed);

// What every object of one response shares.
struct ResponseHead {
  std::string id;
  int64_t created = 0;
  std::string model;
  Endpoint endpoint = Endpoint::ChatCompletions;
};

// "stop" or "length".
std::string_view openai_finish_reason(FinishReason reason);

// A streamed chunk: `text` as content (chat: after the assistant role when `first`), with a
// finish reason when `finish` is given.
Json chunk_object(const ResponseHead& head, std::string_view text, bool first,
                  const FinishReason* finish);
// The final usage chunk of a stream (stream_options.include_usage): no choices.
Json usage_chunk_object(const ResponseHead& head, const Usage& usage);
// A whole response.
Json completion_object(const ResponseHead& head, std::string_view text, FinishReason finish,
                       const Usage& usage);

}  // namespace hearth::localnode
