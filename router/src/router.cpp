#include "hearth/router/router.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hearth/cache/cache_step.hpp"

namespace hearth::router {
namespace asio = boost::asio;

namespace {

// Waits `delay`; false when the wait was cancelled (client gone, deadline).
Task<bool> wait_for(Duration delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

ChatRequest for_candidate(const ChatRequest& request, const Candidate& candidate, bool force_usage) {
  ChatRequest copy = request;
  copy.model = candidate.model;
  if (force_usage && copy.stream) copy.include_usage = true;
  return copy;
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
std::string route_label(const Candidate& candidate) {
  return candidate.target == "local" ? "local:" + candidate.model : "upstream:" + candidate.target;
}

}  // namespace

Router::Router(const RouteTable& routes, std::map<std::string, Target, std::less<>> targets,
               RetryPolicy retry, const Clock& clock, RouterMetrics& metrics,
               std::function<double()> jitter, cache::CacheStep* cache)
    : routes_(routes),
      targets_(std::move(targets)),
      retry_(retry),
      clock_(clock),
      metrics_(metrics),
      jitter_(std::move(jitter)),
      cache_(cache) {}

Duration Router::time_left(const RequestContext& context) const {
  if (context.deadline == TimePoint::max()) return Duration::max();
  return std::chrono::duration_cast<Duration>(context.deadline - clock_.now());
}

Task<Status> Router::complete(const ChatRequest& request, const RequestContext& context,
                              CompletionSink& sink) {
  const ModelRoute* route = routes_.find(request.model);
  if (route == nullptr) {
    co_return make_error(ErrorCode::ModelNotFound,
                         "The model '" + request.model + "' does not exist.", "model");
  }
  if (cache_ == nullptr) {
    sink.set_cache_status("bypass");
    co_return co_await try_candidates(*route, request, context, sink, false);
  }

  // Ask the cache: a hit is replayed and ends the request.
  const std::string resolved = resolved_route(*route);
  cache::CacheTicket ticket = co_await cache_->begin(request, context, resolved, sink);
  if (ticket.served) co_return std::move(ticket.status);
  if (!ticket.store) co_return co_await try_candidates(*route, request, context, sink, false);

  // A miss to store: keep what the route sends, store it once the route has succeeded.
  cache::StoringSink storing(sink, *cache_, ticket);
  Status status = co_await try_candidates(*route, request, context, storing, ticket.force_usage);
  if (status.ok()) cache_->finish(ticket, storing);
  co_return status;
}

Task<Status> Router::try_candidates(const ModelRoute& route_ref, const ChatRequest& request,
                                    const RequestContext& context, CompletionSink& sink,
                                    bool force_usage) {
  const ModelRoute* route = &route_ref;
  std::optional<Error> last_error;
  std::optional<Duration> soonest_probe;
  for (const Candidate& candidate : route->candidates) {
    // Skip what cannot take the request now, at no latency cost.
    auto target = targets_.find(candidate.target);
    if (target == targets_.end() || target->second.source == nullptr) continue;
    auto& [source, breaker] = target->second;
    if (last_error) metrics_.failed_over(route->name);  // an earlier candidate failed
    ChatRequest attempt = for_candidate(request, candidate, force_usage);

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
      sink.set_route(route_label(candidate));
      Status status = co_await source->complete(attempt, context, sink);
      if (status.ok()) {
        breaker->record_success();
        metrics_.attempt_succeeded(candidate.target);
        metrics_.breaker_state(candidate.target, breaker->state());
        co_return status;
      }

      // Account for the failure.
      Error error = std::move(status).error();
      if (error.code == ErrorCode::Cancelled) {
        breaker->record_abandoned();
      } else if (is_upstream_failure(error)) {
        breaker->record_failure();
      } else {
        breaker->record_success();
      }
      metrics_.attempt_failed(candidate.target, error);
      metrics_.breaker_state(candidate.target, breaker->state());

      // Decide: retry here, try the next candidate, or give up.
      Decision decision = decide_after_failure(error, sink.committed(), retries, retry_,
                                               time_left(context), jitter_());
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
