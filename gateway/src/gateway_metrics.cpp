#include "gateway_metrics.hpp"

#include <string>

namespace hearth::gateway::detail {
namespace {

constexpr const char* kRequests = "hearth_http_requests_total";
constexpr const char* kDuration = "hearth_http_request_duration_seconds";
constexpr const char* kTtfb = "hearth_http_time_to_first_byte_seconds";
constexpr const char* kInFlight = "hearth_http_in_flight";
constexpr const char* kConnections = "hearth_http_connections";
constexpr const char* kRejected = "hearth_http_rejected_connections_total";

}  // namespace

GatewayMetrics::GatewayMetrics(MetricsRegistry& registry) : registry_(registry) {
  using Type = MetricsRegistry::Type;
  registry_.describe(kRequests, Type::Counter, "HTTP requests by path, status and route.");
  registry_.describe(kDuration, Type::Histogram, "HTTP request duration, first byte in to last out.",
                     latency_buckets());
  registry_.describe(kTtfb, Type::Histogram,
                     "Time from the request to the first response byte of a completion.",
                     latency_buckets());
  registry_.describe(kInFlight, Type::Gauge, "HTTP requests being handled.");
  registry_.describe(kConnections, Type::Gauge, "Open client connections.");
  registry_.describe(kRejected, Type::Counter,
                     "Client connections refused because max_connections was reached.");
}

void GatewayMetrics::request_started() { registry_.add(kInFlight, {}, 1); }

void GatewayMetrics::request_finished(std::string_view path, unsigned status,
                                      std::string_view route, double seconds,
                                      std::optional<double> ttfb_seconds) {
  registry_.add(kInFlight, {}, -1);
  registry_.add(kRequests, {{"path", std::string(path)},
                            {"status", std::to_string(status)},
                            {"route", std::string(route)}});
  registry_.observe(kDuration, {{"path", std::string(path)}}, seconds);
  if (ttfb_seconds) {
    registry_.observe(kTtfb, {{"path", std::string(path)}, {"route", std::string(route)}},
                      *ttfb_seconds);
  }
}

void GatewayMetrics::connection_opened() { registry_.add(kConnections, {}, 1); }
void GatewayMetrics::connection_closed() { registry_.add(kConnections, {}, -1); }
void GatewayMetrics::connection_rejected() { registry_.add(kRejected, {}, 1); }

}  // namespace hearth::gateway::detail
