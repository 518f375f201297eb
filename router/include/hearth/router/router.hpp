#pragma once
// Router: the CompletionSource the gateway calls. It resolves the public model name to its
// candidates, asks the response cache (when one is given), and tries the candidates in order — skipping unavailable upstreams and open breakers,
// retrying transient failures with backoff, failing over until the response is committed
// (DESIGN.md "One request, end to end"). One Router per worker thread; the breakers and
// metrics it points to are shared and thread-safe.

#include <functional>
#include <map>
#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/router/circuit_breaker.hpp"
#include "hearth/router/retry_policy.hpp"
#include "hearth/router/route_table.hpp"
#include "hearth/router/router_metrics.hpp"

namespace hearth::cache {
class CacheStep;
}

namespace hearth::router {

// One route target (an upstream) as the router sees it.
struct Target {
  CompletionSource* source = nullptr;  // null: configured but unavailable (skipped)
  CircuitBreaker* breaker = nullptr;   // required when source is set
};

class Router final : public CompletionSource {
 public:
  // `jitter` returns a number in [0, 1) for backoff; tests pass a constant. `cache`, when
  // given, is asked before the candidates and must outlive the router.
  Router(const RouteTable& routes, std::map<std::string, Target, std::less<>> targets,
         RetryPolicy retry, const Clock& clock, RouterMetrics& metrics,
         std::function<double()> jitter, cache::CacheStep* cache = nullptr);

  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

 private:
  Duration time_left(const RequestContext& context) const;
  // Tries the route's candidates in order (retries, breakers, failover before commit).
  // `force_usage`: ask streams for their usage chunk (the cache wants it).
  Task<Status> try_candidates(const ModelRoute& route, const ChatRequest& request,
                              const RequestContext& context, CompletionSink& sink, bool force_usage);

  const RouteTable& routes_;
  std::map<std::string, Target, std::less<>> targets_;
  RetryPolicy retry_;
  const Clock& clock_;
  RouterMetrics& metrics_;
  std::function<double()> jitter_;
  cache::CacheStep* cache_;
};

}  // namespace hearth::router
