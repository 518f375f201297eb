#pragma once
// Cache keys: SHA-256 of the canonical request, namespaced by scope. Pure functions.
//
// The canonical request is what decides the output: the endpoint, the resolved route (the
// candidates a public model name stands for, so that renaming an alias keeps its entries
// and re-pointing it does not), and every field of the body except those that cannot change
// the answer (`stream`, `stream_options`, `user`, `metadata`, `store`). JSON key order,
// whitespace and number spelling (`1`, `1.0`, `1e0`) do not matter; a null member is the
// same as an absent one; `max_tokens` and `max_completion_tokens` are one field; members at
// their documented default (`n: 1`, `top_p: 1`, zero penalties, `logprobs: false`) are the
// same as absent.

#include <string>
#include <string_view>

#include "hearth/core/chat.hpp"
#include "hearth/core/completion_source.hpp"
#include "hearth/core/result.hpp"

namespace hearth::cache {

// Who may see an entry: only the app that stored it (the default), or every app.
enum class CacheScope { App, Shared };

// The canonical request as compact JSON text. Errors: the body is not a JSON object or
// holds text that is not UTF-8 (then the request is not cached).
Result<std::string> canonical_request(const ChatRequest& request, std::string_view resolved_route);

// The scope's namespace: "app:<name>" or "shared".
std::string scope_name(CacheScope scope, const RequestContext& context);

// "hearth:v1:<scope>:<64 hex digits of SHA-256(canonical)>".
std::string cache_key(std::string_view scope, std::string_view canonical);

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace hearth::cache
