#pragma once
// Server-sent events framing for streamed completions. Pure; appends to a caller's buffer so
// that a session can reuse one string for every event.

#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"
#include "hearth/core/error.hpp"
#include "hearth/core/wire_object.hpp"

namespace hearth::gateway {

inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

// "data: <json>\n\n". JSON text that spans lines (an upstream's, passed through) becomes one
// data: line per line, which SSE joins back with "\n".
void append_sse_data(std::string& out, std::string_view text);
// The same for a chunk's object, without looking for line breaks where it has none.
void append_sse_data(std::string& out, const WireObject& data);

// "event: error\ndata: {"error":{...}}\n\n" — the OpenAI-shaped error body of to_error_response.
// Sent when a stream fails after its 200; the official SDKs raise on it.
void append_sse_error(std::string& out, const Error& error);

}  // namespace hearth::gateway
