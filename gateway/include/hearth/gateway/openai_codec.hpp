#pragma once
// The OpenAI wire codec: request bodies in, response bodies out. Pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"
#include "hearth/core/wire_object.hpp"
#include "hearth/gateway/services.hpp"

namespace hearth::gateway {

// Bodies nested deeper than this are refused before parsing (JSON handling recurses).
inline constexpr int kMaxJsonDepth = 128;

// Decodes and validates a request body for `endpoint`. Errors are InvalidJson (not JSON) or
// InvalidRequest naming the offending field in `param` ("model", "messages[2].role").
// Unknown fields are kept: ChatRequest::body holds the client's bytes as sent.
Result<ChatRequest> decode_request(Endpoint endpoint, std::string body);

// Whether `body` nests arrays/objects deeper than `max_depth` (strings are skipped).
bool json_too_deep(std::string_view body, int max_depth);

// The GET /v1/models body: {"object":"list","data":[{"id","object":"model","created","owned_by"}]}.
Json models_list(const std::vector<ModelInfo>& models, int64_t created_unix_seconds);

}  // namespace hearth::gateway
