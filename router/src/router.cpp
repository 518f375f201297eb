#include "hearth/router/router.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "egress_audit.hpp"
#include "hearth/cache/cache_step.hpp"
#include "hearth/policies/policy_input.hpp"
#include "hearth/router/policy_route.hpp"
#include "restoring_sink.hpp"

namespace hearth::router {
namespace asio = boost::asio;

namespace {

// Waits `delay`; false when the wait was cancelled (client gone, deadline).
Task<bool> wait_for(Duration delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

// What a public model name stands for, for cache keys: its candidates in order.
std::string resolved_route(const ModelRoute& route) {
  std::string resolved;
  for (const Candidate& candidate : route.candidates) {
    if (!resolved.empty()) resolved += '|';
    resolved += candidate.label();
  }
  return resolved;
}

// x-hearth-route: `local:<model>` for the embedded node, `upstream:<name>` otherwise.
// The route a candidate's answer goes out under, written into `label` (reused: no allocation
// per request).
std::string_view route_label(const Candidate& candidate, std::string& label) {
  if (candidate.target == "local") return label.assign("local:").append(candidate.model);
  return label.assign("upstream:").append(candidate.target);
}

}  // namespace

// What the policy made of one request. Held for the request's life: the policy it started
// under stays alive through a reload.
struct Router::Plan {
  std::shared_ptr<const policies::Policy> policy;  // null without policies
  policies::PolicyVerdict verdict;
  const ModelRoute* route = nullptr;  // the candidates to try: the table's, or `allowed`
  ModelRoute allowed;
  std::optional<ChatRequest> capped;  // the request under the rule's max_tokens cap
  CacheUse cache;
  std::optional<Result<policies::RedactedRequest>> redacted;  // made for the first cloud candidate
};

// What one audited attempt did, for its outcome record.
struct Router::AttemptAudit {
  bool sent = false;  // a write-ahead record was written: bytes may have left
  TimePoint started;
  uint64_t bytes = 0;
  std::optional<Usage> usage;
};

Router::Router(const RouteTable& routes, std::map<std::string, Target, std::less<>> targets,
               RetryPolicy retry, const Clock& clock, RouterMetrics& metrics,
               std::function<double()> jitter, cache::CacheStep* cache, Compliance compliance)
    : routes_(routes),
      retry_(retry),
      clock_(clock),
      metrics_(metrics),
      jitter_(std::move(jitter)),
      cache_(cache),
      compliance_(compliance) {
  for (const auto& [name, target] : targets) {
    const RouterMetrics::UpstreamSeries& series = metrics_.upstream_series(name);
    targets_.emplace(name, Routed{target, &series});
  }
}

Duration Router::time_left(const RequestContext& context) const {
  if (context.deadline == TimePoint::max()) return Duration::max();
  return std::chrono::duration_cast<Duration>(context.deadline - clock_.now());
}

policies::Zone Router::zone_of(std::string_view target) const {
  auto it = targets_.find(target);
  return it == targets_.end() ? policies::Zone::Cloud : it->second.target.zone;  // unknown: the strictest
}

Status Router::decide(Plan& plan, const ModelRoute& route, const ChatRequest& request,
                      const RequestContext& context) {
  plan.policy = compliance_.policies->current();
  const policies::PolicyInput input = policies::make_policy_input(request, context.app, context.team, context.headers);
  auto verdict = policies::decide(*plan.policy, input);
  if (!verdict) {
    // Content that could not be classified goes nowhere (fail closed).
    return make_error(ErrorCode::Internal, "The request could not be classified by the policy: " + verdict.error().message);
  }
  plan.verdict = std::move(*verdict);

  std::string refusal;
  if (plan.verdict.denied()) {
    refusal = plan.verdict.deny_message.empty() ? "Denied by policy rule '" + plan.verdict.rule_id + "'."
                                                : plan.verdict.deny_message;
  } else {
    plan.allowed = allowed_route(route, plan.verdict, [this](std::string_view t) { return zone_of(t); });
    plan.route = &plan.allowed;
    if (plan.allowed.candidates.empty()) refusal = no_allowed_route_message(plan.verdict, request.model);
  }
  if (!refusal.empty()) {
    if (compliance_.audit != nullptr) {
      // Not awaited: nothing leaves either way, and a failure shows in /readyz.
      compliance_.audit->submit(policies::to_json(policies::DenialRecord{context.request_id, context.app, context.team,
                                                                         plan.verdict.rule_id, plan.verdict.policy_hash,
                                                                         refusal, plan.verdict.detected_classes}),
                                {});
    }
    return make_error(ErrorCode::PermissionDenied, std::move(refusal));
  }
  if (plan.verdict.max_tokens) plan.capped = with_max_tokens_cap(request, *plan.verdict.max_tokens);
  plan.cache = cache_use(plan.verdict);
  return {};
}

Task<Status> Router::complete(const ChatRequest& request, const RequestContext& context,
                              CompletionSink& sink) {
  const ModelRoute* route = routes_.find(request.model);
  if (route == nullptr) {
    co_return make_error(ErrorCode::ModelNotFound,
                         "The model '" + request.model + "' does not exist.", "model");
  }

  // The policy first: where the request may go, and under which limits.
  Plan plan;
  plan.route = route;
  plan.verdict.route = policies::RouteMode::CloudAllowed;  // without a policy: as configured
  plan.verdict.rule_id = "none";
  if (compliance_.policies != nullptr) {
    Status decided = decide(plan, *route, request, context);
    sink.set_rule(plan.verdict.rule_id);  // on refusals too; "none" when the scan failed
    if (!decided) co_return decided;
  }
  const ChatRequest& effective = plan.capped ? *plan.capped : request;

  if (cache_ == nullptr || !plan.cache.enabled) {
    sink.set_cache_status("bypass");
    co_return co_await try_candidates(plan, effective, context, sink, false);
  }

  // Ask the cache: a hit is replayed and ends the request.
  const std::string resolved = resolved_route(*plan.route);
  cache::CacheTicket ticket = co_await cache_->begin(effective, context, resolved, sink, plan.cache.scope);
  if (ticket.served) co_return std::move(ticket.status);
  if (!ticket.store) co_return co_await try_candidates(plan, effective, context, sink, false);

  // A miss to store: keep what the route sends, store it once the route has succeeded.
  cache::StoringSink storing(sink, *cache_, ticket);
  Status status = co_await try_candidates(plan, effective, context, storing, ticket.force_usage);
  if (status.ok()) cache_->finish(ticket, storing);
  co_return status;
}

Task<Status> Router::send_to_cloud(CompletionSource& source, const ChatRequest& attempt,
                                   const RequestContext& context, CompletionSink& sink, const Plan& plan,
                                   const Candidate& candidate, AttemptAudit& audit) {
  static const policies::RedactionMap kNothingRedacted;
  const policies::RedactionMap& redactions =
      plan.redacted && *plan.redacted ? (*plan.redacted)->map : kNothingRedacted;

  // Client ← (restore originals) ← (count what came back) ← upstream.
  std::optional<RestoringSink> restoring;
  if (!redactions.empty()) restoring.emplace(sink, redactions);
  CompletionSink& toward_client = restoring ? static_cast<CompletionSink&>(*restoring) : sink;
  if (compliance_.audit == nullptr) {
    Status status = co_await source.complete(attempt, context, toward_client);
    if (status.ok() && restoring) status = co_await restoring->finish();
    co_return status;
  }

  // Audited: the upstream hands its bytes to the guard before sending them; usage is asked
  // for (and hidden again when nobody else wanted it) so the outcome can count tokens.
  const bool hide_usage = attempt.stream && !wants_usage(attempt, context);
  MeteringSink metering(toward_client, hide_usage);
  AuditedEgress guard(*compliance_.audit,
                      policies::EgressTarget{context.request_id, context.app, context.team, candidate.target, "",
                                             candidate.model},
                      plan.verdict, redactions, compliance_.include_content);
  RequestContext guarded = context;
  guarded.egress_guard = &guard;
  guarded.force_usage = true;
  audit.started = clock_.now();
  Status status = co_await source.complete(attempt, guarded, metering);
  if (status.ok() && restoring) status = co_await restoring->finish();
  audit.sent = guard.sent();
  audit.bytes = metering.bytes();
  audit.usage = metering.usage();
  co_return status;
}

void Router::record_outcome(const RequestContext& context, const Plan& plan, const Candidate& candidate,
                            const AttemptAudit& audit, const Status& status, bool failover) {
  policies::OutcomeRecord record;
  record.request_id = context.request_id;
  record.upstream = candidate.target;
  record.policy_hash = plan.verdict.policy_hash;
  if (status.ok()) {
    record.status = 200;
  } else {
    record.status = status.error().upstream_status;
    record.error = std::string(to_string(status.error().code)) + ": " + status.error().message;
  }
  if (audit.usage) {
    record.tokens_in = audit.usage->prompt_tokens;
    record.tokens_out = audit.usage->completion_tokens;
  }
  record.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - audit.started).count();
  record.bytes_received = audit.bytes;
  record.failover = failover;
  // Not awaited: the bytes have left; a failed append makes the log unhealthy (/readyz).
  compliance_.audit->submit(policies::to_json(record), {});
}

Task<Status> Router::try_candidates(Plan& plan, const ChatRequest& request, const RequestContext& context,
                                    CompletionSink& sink, bool force_usage) {
  const ModelRoute* route = plan.route;
  RequestContext attempt_context = context;  // names each candidate's model in turn
  attempt_context.force_usage = force_usage;
  std::optional<Error> last_error;
  std::optional<Duration> soonest_probe;
  for (const Candidate& candidate : route->candidates) {
    // Skip what cannot take the request now, at no latency cost.
    auto target = targets_.find(candidate.target);
    if (target == targets_.end() || target->second.target.source == nullptr) continue;
    auto& [source, breaker, zone] = target->second.target;
    const RouterMetrics::UpstreamSeries& series = *target->second.series;
    const bool cloud = zone == policies::Zone::Cloud;

    // Cloud egress carries only the redacted text; if redaction fails, nothing is sent.
    const ChatRequest* outgoing = &request;
    if (cloud && !plan.verdict.redact_classes.empty()) {
      if (!plan.redacted) {
        plan.redacted = policies::redact_request(request, plan.policy->detectors(), plan.verdict.redact_classes);
      }
      if (!*plan.redacted) {
        last_error = make_error(ErrorCode::EgressBlocked, "Nothing was sent to upstream '" + candidate.target +
                                                              "': redaction failed (" +
                                                              plan.redacted->error().message + ").");
        continue;
      }
      outgoing = &(*plan.redacted)->request;
    }
    if (last_error) metrics_.failed_over(route->name);  // an earlier candidate failed
    const ChatRequest& attempt = *outgoing;
    attempt_context.target_model = candidate.model;

    for (int retries = 0;; ++retries) {
      if (time_left(context) <= Duration::zero()) {
        co_return make_error(ErrorCode::DeadlineExceeded, "The request deadline passed.");
      }
      if (!breaker->try_acquire()) {
        Duration wait = breaker->retry_in();
        soonest_probe = soonest_probe ? std::min(*soonest_probe, wait) : wait;
        break;
      }

      // Send it.
      sink.set_route(route_label(candidate, label_));
      AttemptAudit audit;
      Status status;
      if (cloud) {
        status =
            co_await send_to_cloud(*source, attempt, attempt_context, sink, plan, candidate, audit);
      } else {
        status = co_await source->complete(attempt, attempt_context, sink);
      }
      if (status.ok()) {
        if (audit.sent) record_outcome(context, plan, candidate, audit, status, false);
        breaker->record_success();
        metrics_.attempt_succeeded(series);
        metrics_.breaker_state(series, breaker->state());
        co_return status;
      }

      // Account for the failure.
      Error error = std::move(status).error();
      if (error.code == ErrorCode::Cancelled || error.code == ErrorCode::EgressBlocked) {
        breaker->record_abandoned();
      } else if (is_upstream_failure(error)) {
        breaker->record_failure();
      } else {
        breaker->record_success();
      }
      metrics_.attempt_failed(candidate.target, error);
      metrics_.breaker_state(series, breaker->state());

      // Decide: retry here, try the next candidate, or give up.
      Decision decision = decide_after_failure(error, sink.committed(), retries, retry_,
                                               time_left(context), jitter_());
      if (audit.sent) record_outcome(context, plan, candidate, audit, Status(error), decision.next != Next::GiveUp);
      last_error = std::move(error);
      if (decision.next == Next::GiveUp) co_return *last_error;
      if (decision.next == Next::Failover) break;
      metrics_.retried(candidate.target);
      if (!co_await wait_for(decision.delay)) {
        co_return make_error(ErrorCode::Cancelled, "The request was cancelled.");
      }
    }
  }

  if (last_error) co_return *last_error;
  Error none = make_error(ErrorCode::NoHealthyRoute,
                          "No healthy route for model '" + request.model +
                              "': every candidate is unavailable or its circuit breaker is open.");
  none.retry_after = std::max(soonest_probe.value_or(Duration(1000)), Duration(1000));
  co_return none;
}

}  // namespace hearth::router
