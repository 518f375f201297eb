#pragma once
// What the cache may do with one request and one response: pure decisions, tested with
// tables of cases.

#include <cstdint>
#include <string_view>

#include "hearth/cache/cache_key.hpp"
#include "hearth/core/chat.hpp"
#include "hearth/core/clock.hpp"

namespace hearth::cache {

struct CacheOptions {
  Duration ttl{24 * 3'600'000};
  uint64_t max_entry_bytes = 1u << 20;  // larger entries are neither stored nor served
  CacheScope scope = CacheScope::App;
  bool nondeterministic = false;        // also cache requests with temperature > 0 and no seed
  size_t replay_piece_bytes = 256;      // content per replayed SSE chunk
};

// Whether the request's sampling makes its answer repeatable: temperature 0, or a seed.
bool is_deterministic(const Json& body);

struct CachePlan {
  bool read = false;    // look the request up
  bool write = false;   // store the response when it is cacheable
  // When read is false, why (a metrics label): "no_cache", "nondeterministic", "no_store".
  std::string_view bypass_reason;
};

// Decides from the request alone (the Cache-Control directives and its sampling fields).
CachePlan plan_request(const ChatRequest& request, const CacheOptions& options);

// Whether a finish_reason marks a complete answer worth keeping: stop, length, tool_calls.
bool is_cacheable_finish(std::string_view finish_reason);

// Whether a whole completion body (chat.completion or text_completion) may be stored: it
// has choices, every one finished cacheably, and it carries no error.
bool is_cacheable_completion(const Json& body);

}  // namespace hearth::cache
