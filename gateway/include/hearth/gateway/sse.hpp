#pragma once
// Server-sent events framing for streamed completions. Pure; appends to a caller's buffer so
// that a session can reuse one string for every event.

#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"
#include "hearth/core/error.hpp"

namespace hearth::gateway {

inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

// "data: <json>\n\n". Compact JSON has no raw newline, so one event is one line.
void append_sse_data(std::string& out, const Json& data);

// "event: error\ndata: {"error":{...}}\n\n" — the OpenAI-shaped error body of to_error_response.
// Sent when a stream fails after its 200; the official SDKs raise on it.
void append_sse_error(std::string& out, const Error& error);

}  // namespace hearth::gateway
