#pragma once
// Router: the CompletionSource the gateway calls. It resolves the public model name to its
// candidates, asks the policy which of them the request may take (when a policy is given),
// asks the response cache (when one is given), and tries the candidates in order — skipping
// unavailable upstreams and open breakers, retrying transient failures with backoff, failing
// over until the response is committed. Cloud attempts are redacted as the verdict says and
// recorded in the audit log before any byte leaves (DESIGN.md "One request, end to end").
// One Router per worker thread; the breakers, metrics, policy store and audit log it points
// to are shared and thread-safe.

#include <functional>
#include <map>
#include <string>

#include "hearth/core/completion_source.hpp"
#include "hearth/policies/audit_writer.hpp"
#include "hearth/policies/candidates.hpp"
#include "hearth/policies/policy_store.hpp"
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
  policies::Zone zone = policies::Zone::Cloud;
};

// The compliance side of routing; each part is optional and must outlive the router.
struct Compliance {
  const policies::PolicyStore* policies = nullptr;  // null: no policy, every candidate allowed
  policies::AuditWriter* audit = nullptr;           // null: cloud egress is not recorded
  bool include_content = false;                     // write-ahead records keep the bytes sent
};

class Router final : public CompletionSource {
 public:
  // `jitter` returns a number in [0, 1) for backoff; tests pass a constant. `cache`, when
  // given, is asked before the candidates and must outlive the router.
  Router(const RouteTable& routes, std::map<std::string, Target, std::less<>> targets,
         RetryPolicy retry, const Clock& clock, RouterMetrics& metrics,
         std::function<double()> jitter, cache::CacheStep* cache = nullptr,
         Compliance compliance = {});

  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

 private:
  struct Plan;
  struct AttemptAudit;

  Duration time_left(const RequestContext& context) const;
  policies::Zone zone_of(std::string_view target) const;
  // Asks the policy about `request`: fills the plan, or says why the request goes nowhere.
  Status decide(Plan& plan, const ModelRoute& route, const ChatRequest& request, const RequestContext& context);
  // Tries the plan's candidates in order (retries, breakers, failover before commit).
  // `force_usage`: ask streams for their usage chunk (the cache wants it).
  Task<Status> try_candidates(Plan& plan, const ChatRequest& request, const RequestContext& context,
                              CompletionSink& sink, bool force_usage);
  // One attempt at a cloud upstream: restored reply when redacted, audited when a log is set.
  Task<Status> send_to_cloud(CompletionSource& source, const ChatRequest& attempt, const RequestContext& context,
                             CompletionSink& sink, const Plan& plan, const Candidate& candidate,
                             AttemptAudit& audit);
  void record_outcome(const RequestContext& context, const Plan& plan, const Candidate& candidate,
                      const AttemptAudit& audit, const Status& status, bool failover);

  const RouteTable& routes_;
  // Each target with its metric series, looked up once.
  struct Routed {
    Target target;
    const RouterMetrics::UpstreamSeries* series;
  };
  std::map<std::string, Routed, std::less<>> targets_;
  std::string label_;  // the route label being set on a sink
  RetryPolicy retry_;
  const Clock& clock_;
  RouterMetrics& metrics_;
  std::function<double()> jitter_;
  cache::CacheStep* cache_;
  Compliance compliance_;
};

}  // namespace hearth::router
