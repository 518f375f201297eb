#pragma once
// GatewayMetrics: every metric the gateway records, declared in one place. Thread-safe (the
// registry is); one instance per Server, shared by its workers.

#include <optional>
#include <string_view>

#include "hearth/core/metrics.hpp"

namespace hearth::gateway::detail {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(MetricsRegistry& registry);

  void request_started();
  // `path` is a route path or "other"; `route` is x-hearth-route ("" off the completion paths).
  void request_finished(std::string_view path, unsigned status, std::string_view route,
                        double seconds, std::optional<double> ttfb_seconds);

  void connection_opened();
  void connection_closed();
  void connection_rejected();

 private:
  MetricsRegistry& registry_;
};

}  // namespace hearth::gateway::detail
