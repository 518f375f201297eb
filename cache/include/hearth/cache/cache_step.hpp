#pragma once
// CacheStep: the router's cache step (DESIGN.md "One request, end to end", step 3). Before
// the route: look the request up and, on a hit, replay it into the sink (`x-hearth-route:
// cache`). On a miss: capture the route's response with a StoringSink and, once the route
// has succeeded, store it if it is complete and cacheable. Every request gets an
// x-hearth-cache status: hit, miss, bypass, or stored (a whole response handed to the
// cache; a streamed miss is stored after its headers went out, so it says miss).
// One per worker, holding that worker's ResponseCache; use it from the worker's thread.

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "hearth/cache/cache_metrics.hpp"
#include "hearth/cache/cache_policy.hpp"
#include "hearth/cache/response_cache.hpp"
#include "hearth/cache/sse_replay.hpp"
#include "hearth/cache/stream_assembler.hpp"

namespace hearth::cache {

// What CacheStep::begin decided for one request.
struct CacheTicket {
  bool served = false;  // a hit was replayed; `status` says whether the client got it all
  Status status;
  bool store = false;   // run the route into a StoringSink, then call CacheStep::finish
  std::string key;
  bool stream = false;
  bool force_usage = false;  // ask the route for usage the client did not ask for (and hide it)
};

class CacheStep;

// StoringSink: passes everything on to the client's sink and stores the response: a whole
// completion before the client gets it (so that the client's next request can hit), a
// stream when CacheStep::finish sees it completed (before the caller writes [DONE]). Lives
// on the router's coroutine frame for one request.
class StoringSink final : public ForwardingSink {
 public:
  StoringSink(CompletionSink& client, CacheStep& step, const CacheTicket& ticket);

  Task<Status> send_chunk(const CompletionChunk& chunk) override;
  Task<Status> send_chunks(std::span<const CompletionChunk> chunks) override;
  Task<Status> send_completion(const Completion& completion) override;

  // The encoded entry of a completed, cacheable stream.
  std::optional<std::string> stream_entry() const;

 private:
  // Folds one chunk in; false when the client must not see it (a usage chunk it did not ask
  // for).
  bool take(const CompletionChunk& chunk);

  CacheStep& step_;
  const CacheTicket& ticket_;
  StreamAssembler assembler_;
};

class CacheStep {
 public:
  // `cache` and `metrics` must outlive the step.
  CacheStep(ResponseCache& cache, CacheOptions options, CacheMetrics& metrics);

  // Looks `request` up in `scope` (the configured one when nullopt; a policy may choose).
  // `resolved_route` names the candidates its model stands for (see cache_key.hpp). On a
  // hit the response has been sent (or the client went away: ticket.status says);
  // otherwise the caller runs the route, through a StoringSink when ticket.store.
  Task<CacheTicket> begin(const ChatRequest& request, const RequestContext& context,
                          std::string_view resolved_route, CompletionSink& sink,
                          std::optional<CacheScope> scope = std::nullopt);

  // After the route succeeded through `storing`: stores a completed, cacheable stream.
  void finish(const CacheTicket& ticket, const StoringSink& storing);

  // Hands an encoded entry to the cache (StoringSink calls it for whole completions).
  void store(const CacheTicket& ticket, std::string entry);

  const CacheOptions& options() const { return options_; }

 private:
  Task<Status> replay(const ChatRequest& request, const Json& completion, CompletionSink& sink);
  ReplayIdentity fresh_identity(bool chat);

  ResponseCache& cache_;
  CacheOptions options_;
  CacheMetrics& metrics_;
  std::mt19937_64 rng_;
};

}  // namespace hearth::cache
