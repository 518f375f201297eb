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

  void attempt_succeeded(std::string_view upstream);
  void attempt_failed(std::string_view upstream, const Error& error);
  void retried(std::string_view upstream);
  void failed_over(std::string_view model);
  void breaker_state(std::string_view upstream, CircuitBreaker::State state);

 private:
  // The series every successful attempt records, per upstream, looked up once.
  struct UpstreamSeries {
    MetricsRegistry::Series* succeeded;
    MetricsRegistry::Series* breaker;
  };
  const UpstreamSeries& upstream_series(std::string_view upstream);

  MetricsRegistry& registry_;
  ReadMostlyMap<std::string, UpstreamSeries> upstreams_;
};

}  // namespace hearth::router
