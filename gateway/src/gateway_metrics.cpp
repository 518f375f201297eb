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

MetricsRegistry& described(MetricsRegistry& registry) {
  using Type = MetricsRegistry::Type;
  registry.describe(kRequests, Type::Counter, "HTTP requests by path, status and route.");
  registry.describe(kDuration, Type::Histogram, "HTTP request duration, first byte in to last out.",
                    latency_buckets());
  registry.describe(kTtfb, Type::Histogram,
                    "Time from the request to the first response byte of a completion.",
                    latency_buckets());
  registry.describe(kInFlight, Type::Gauge, "HTTP requests being handled.");
  registry.describe(kConnections, Type::Gauge, "Open client connections.");
  registry.describe(kRejected, Type::Counter,
                    "Client connections refused because max_connections was reached.");
  return registry;
}

}  // namespace

GatewayMetrics::GatewayMetrics(MetricsRegistry& registry)
    : registry_(described(registry)),
      in_flight_(registry_.series(kInFlight, {})),
      connections_(registry_.series(kConnections, {})),
      rejected_(registry_.series(kRejected, {})) {}

void GatewayMetrics::request_started() { in_flight_.add(1); }

const GatewayMetrics::Outcome& GatewayMetrics::outcome(std::string_view path, unsigned status,
                                                       std::string_view route) {
  return outcomes_.find_or_add(std::make_tuple(path, status, route), [&] {
    const std::string p(path), r(route);
    const Outcome series{
        &registry_.series(kRequests,
                          {{"path", p}, {"status", std::to_string(status)}, {"route", r}}),
        &registry_.series(kDuration, {{"path", p}}),
        &registry_.series(kTtfb, {{"path", p}, {"route", r}})};
    return std::make_pair(std::make_tuple(p, status, r), series);
  });
}

void GatewayMetrics::request_finished(std::string_view path, unsigned status,
                                      std::string_view route, double seconds,
                                      std::optional<double> ttfb_seconds) {
  in_flight_.add(-1);
  const Outcome& series = outcome(path, status, route);
  series.requests->add();
  series.duration->observe(seconds);
  if (ttfb_seconds) series.ttfb->observe(*ttfb_seconds);
}

void GatewayMetrics::connection_opened() { connections_.add(1); }
void GatewayMetrics::connection_closed() { connections_.add(-1); }
void GatewayMetrics::connection_rejected() { rejected_.add(1); }

}  // namespace hearth::gateway::detail
