#include "hearth/router/router_metrics.hpp"

#include <string>

namespace hearth::router {
namespace {
constexpr std::string_view kAttempts = "hearth_upstream_requests_total";
constexpr std::string_view kErrors = "hearth_upstream_errors_total";
constexpr std::string_view kRetries = "hearth_upstream_retries_total";
constexpr std::string_view kFailovers = "hearth_failovers_total";
constexpr std::string_view kBreaker = "hearth_circuit_breaker_state";
}  // namespace

RouterMetrics::RouterMetrics(MetricsRegistry& registry) : registry_(registry) {
  using Type = MetricsRegistry::Type;
  registry_.describe(std::string(kAttempts), Type::Counter,
                     "Attempts sent to each upstream, by outcome (ok or an error code).");
  registry_.describe(std::string(kErrors), Type::Counter,
                     "Upstream attempts that failed, by error code and upstream HTTP status.");
  registry_.describe(std::string(kRetries), Type::Counter,
                     "Retries of the same upstream after a transient failure.");
  registry_.describe(std::string(kFailovers), Type::Counter,
                     "Moves from one candidate to the next before the response was committed.");
  registry_.describe(std::string(kBreaker), Type::Gauge,
                     "Circuit-breaker state per upstream: 0 closed, 1 half-open, 2 open.");
}

const RouterMetrics::UpstreamSeries& RouterMetrics::upstream_series(std::string_view upstream) {
  return upstreams_.find_or_add(upstream, [&] {
    const std::string name(upstream);
    const UpstreamSeries series{
        &registry_.series(kAttempts, {{"upstream", name}, {"outcome", "ok"}}),
        &registry_.series(kBreaker, {{"upstream", name}})};
    return std::make_pair(name, series);
  });
}

void RouterMetrics::attempt_failed(std::string_view upstream, const Error& error) {
  std::string code(to_string(error.code));
  registry_.add(kAttempts, {{"upstream", std::string(upstream)}, {"outcome", code}});
  registry_.add(kErrors, {{"upstream", std::string(upstream)},
                          {"code", code},
                          {"status", std::to_string(error.upstream_status)}});
}

void RouterMetrics::retried(std::string_view upstream) {
  registry_.add(kRetries, {{"upstream", std::string(upstream)}});
}

void RouterMetrics::failed_over(std::string_view model) {
  registry_.add(kFailovers, {{"model", std::string(model)}});
}

}  // namespace hearth::router
