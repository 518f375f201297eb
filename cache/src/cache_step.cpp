#include "hearth/cache/cache_step.hpp"

#include <chrono>
#include <vector>

#include "hearth/cache/cache_entry.hpp"
#include "hearth/cache/sse_replay.hpp"

namespace hearth::cache {
namespace {

bool has_choices(const Json& chunk) {
  auto choices = chunk.find("choices");
  return choices != chunk.end() && choices->is_array() && !choices->empty();
}

enum class Pass { Forward, Hide, StripUsage };

CompletionChunk without_usage(const CompletionChunk& chunk) {
  Json copy = chunk.data.json();
  copy.erase("usage");
  return CompletionChunk{std::move(copy)};
}

}  // namespace

StoringSink::StoringSink(CompletionSink& client, CacheStep& step, const CacheTicket& ticket)
    : ForwardingSink(client), step_(step), ticket_(ticket), assembler_(step.options().max_entry_bytes) {}

bool StoringSink::take(const CompletionChunk& chunk) {
  const Json& json = chunk.data.json();
  assembler_.add(json);
  return !(ticket_.force_usage && chunk.data.has_usage() && !has_choices(json));
}

Task<Status> StoringSink::send_chunk(const CompletionChunk& chunk) {
  const std::span<const CompletionChunk> one(&chunk, 1);
  co_return co_await send_chunks(one);
}

Task<Status> StoringSink::send_chunks(std::span<const CompletionChunk> chunks) {
  // Pass the batch on as it is unless a chunk must be hidden or stripped.
  std::vector<CompletionChunk> kept;
  bool changed = false;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const bool show = take(chunks[i]);
    const bool strip = show && ticket_.force_usage && chunks[i].data.has_usage();
    if ((!show || strip) && !changed) {
      changed = true;
      kept.assign(chunks.begin(), chunks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (!changed) continue;
    if (strip) {
      kept.push_back(without_usage(chunks[i]));
    } else if (show) {
      kept.push_back(chunks[i]);
    }
  }
  if (!changed) co_return co_await next_.send_chunks(chunks);
  if (kept.empty()) co_return Status{};
  const std::span<const CompletionChunk> view(kept);
  co_return co_await next_.send_chunks(view);
}

Task<Status> StoringSink::send_completion(const Completion& completion) {
  if (!ticket_.stream && is_cacheable_completion(completion.body.json())) {
    std::string entry = encode_entry(ticket_.key, completion.body.text());
    if (entry.size() <= step_.options().max_entry_bytes) {
      step_.store(ticket_, std::move(entry));
      next_.set_cache_status("stored");
    }
  }
  co_return co_await next_.send_completion(completion);
}

std::optional<std::string> StoringSink::stream_entry() const {
  if (!ticket_.stream) return std::nullopt;
  auto body = assembler_.completion();
  if (!body || !is_cacheable_completion(*body)) return std::nullopt;
  std::string entry = encode_entry(ticket_.key, dump_json(*body));
  if (entry.size() > step_.options().max_entry_bytes) return std::nullopt;
  return entry;
}

CacheStep::CacheStep(ResponseCache& cache, CacheOptions options, CacheMetrics& metrics)
    : cache_(cache), options_(options), metrics_(metrics), rng_(std::random_device{}()) {}

ReplayIdentity CacheStep::fresh_identity(bool chat) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id = chat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng_() % (sizeof kAlphabet - 1)];
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return ReplayIdentity{std::move(id), std::chrono::duration_cast<std::chrono::seconds>(now).count()};
}

Task<Status> CacheStep::replay(const ChatRequest& request, const Json& completion, CompletionSink& sink) {
  sink.set_route("cache");
  sink.set_cache_status("hit");
  const bool chat = completion.value("object", std::string()) != "text_completion";
  const ReplayIdentity identity = fresh_identity(chat);
  if (request.stream) {
    const std::vector<CompletionChunk> chunks =
        replay_chunks(completion, request.include_usage, identity, options_.replay_piece_bytes);
    const std::span<const CompletionChunk> all(chunks);
    co_return co_await sink.send_chunks(all);
  }
  const Completion whole{fresh_completion(completion, identity)};
  co_return co_await sink.send_completion(whole);
}

Task<CacheTicket> CacheStep::begin(const ChatRequest& request, const RequestContext& context,
                                   std::string_view resolved_route, CompletionSink& sink,
                                   std::optional<CacheScope> scope) {
  CacheTicket ticket;
  ticket.stream = request.stream;

  // Decide from the request alone.
  const CachePlan plan = plan_request(request, options_);
  if (!plan.read && !plan.write) {
    sink.set_cache_status("bypass");
    metrics_.bypass(plan.bypass_reason);
    co_return ticket;
  }
  auto canonical = canonical_request(request, resolved_route);
  if (!canonical) {
    sink.set_cache_status("bypass");
    metrics_.bypass("uncacheable_request");
    co_return ticket;
  }
  ticket.key = cache_key(scope_name(scope.value_or(options_.scope), context), *canonical);
  ticket.force_usage = request.stream && !request.include_usage;
  if (!plan.read) {
    sink.set_cache_status("bypass");
    metrics_.bypass(plan.bypass_reason);
    ticket.store = true;
    co_return ticket;
  }

  // Look it up.
  const auto started = std::chrono::steady_clock::now();
  const CacheLookup found = co_await cache_.lookup(ticket.key);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (found.outcome == CacheLookup::Outcome::Unavailable) {
    sink.set_cache_status("bypass");
    metrics_.bypass("unavailable");
    co_return ticket;  // a backend in trouble is not asked to store either
  }

  // A hit that can be served is replayed; a bad entry is deleted and counts as a miss.
  if (found.outcome == CacheLookup::Outcome::Hit) {
    if (found.value->size() > options_.max_entry_bytes) {
      cache_.erase(ticket.key);
      metrics_.error("oversized_entry");
    } else if (auto body = decode_entry(*found.value, ticket.key); !body) {
      cache_.erase(ticket.key);
      metrics_.error("corrupt_entry", body.error().message);
    } else if (can_replay(*body, request.stream, request.include_usage)) {
      metrics_.hit(seconds);
      ticket.served = true;
      ticket.status = co_await replay(request, *body, sink);
      co_return ticket;
    }
  }
  metrics_.miss(seconds);
  sink.set_cache_status("miss");
  ticket.store = plan.write;
  co_return ticket;
}

void CacheStep::finish(const CacheTicket& ticket, const StoringSink& storing) {
  if (!ticket.store) return;
  if (auto entry = storing.stream_entry()) store(ticket, std::move(*entry));
}

void CacheStep::store(const CacheTicket& ticket, std::string entry) {
  cache_.store(ticket.key, std::move(entry), options_.ttl);
  metrics_.stored();
}

}  // namespace hearth::cache
