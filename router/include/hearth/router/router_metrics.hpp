#pragma once
// RouterMetrics: the router's counters in the shared registry (upstream outcomes, retries,
// failovers, breaker states). Construct once; thread-safe like the registry.

#include <string>
#include <string_view>

#include "hearth/core/error.hpp"
#include "hearth/core/metrics.hpp"
#include "hearth/core/read_mostly_map.hpp"
#include "hearth/router/circuit_breaker.hpp"

namespace hearth::router {

class RouterMetrics {
 public:
  explicit RouterMetrics(MetricsRegistry& registry);

  // The series every successful attempt records, per upstream: looked up once, and held by
  // the router for each of its targets.
  struct UpstreamSeries {
    MetricsRegistry::Series* succeeded;
    MetricsRegistry::Series* breaker;
  };
  const UpstreamSeries& upstream_series(std::string_view upstream);

  void attempt_succeeded(std::string_view upstream) { attempt_succeeded(upstream_series(upstream)); }
  void attempt_succeeded(const UpstreamSeries& upstream) { upstream.succeeded->add(); }
  void attempt_failed(std::string_view upstream, const Error& error);
  void retried(std::string_view upstream);
  void failed_over(std::string_view model);
  void breaker_state(std::string_view upstream, CircuitBreaker::State state) {
    breaker_state(upstream_series(upstream), state);
  }
  void breaker_state(const UpstreamSeries& upstream, CircuitBreaker::State state) {
    upstream.breaker->set(static_cast<double>(state));
  }

 private:

  MetricsRegistry& registry_;
  ReadMostlyMap<std::string, UpstreamSeries> upstreams_;
};

}  // namespace hearth::router
