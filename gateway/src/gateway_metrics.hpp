#pragma once
// GatewayMetrics: every metric the gateway records, declared in one place. Thread-safe (the
// registry is); one instance per Server, shared by its workers.

#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "hearth/core/metrics.hpp"
#include "hearth/core/read_mostly_map.hpp"

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
  // The series of one (path, status, route), looked up once rather than per request.
  struct Outcome {
    MetricsRegistry::Series* requests;
    MetricsRegistry::Series* duration;
    MetricsRegistry::Series* ttfb;
  };
  const Outcome& outcome(std::string_view path, unsigned status, std::string_view route);

  MetricsRegistry& registry_;
  MetricsRegistry::Series& in_flight_;
  MetricsRegistry::Series& connections_;
  MetricsRegistry::Series& rejected_;
  ReadMostlyMap<std::tuple<std::string, unsigned, std::string>, Outcome> outcomes_;
};

}  // namespace hearth::gateway::detail
