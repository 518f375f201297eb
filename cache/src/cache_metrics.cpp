#include "hearth/cache/cache_metrics.hpp"

namespace hearth::cache {
namespace {

constexpr std::string_view kHits = "hearth_cache_hits_total";
constexpr std::string_view kMisses = "hearth_cache_misses_total";
constexpr std::string_view kStores = "hearth_cache_stores_total";
constexpr std::string_view kBypasses = "hearth_cache_bypasses_total";
constexpr std::string_view kErrors = "hearth_cache_errors_total";
constexpr std::string_view kLookup = "hearth_cache_lookup_seconds";
constexpr std::string_view kConnections = "hearth_cache_redis_connections";

}  // namespace

CacheMetrics::CacheMetrics(MetricsRegistry& registry, Logger& log) : registry_(registry), log_(log) {
  using Type = MetricsRegistry::Type;
  registry_.describe(std::string(kHits), Type::Counter, "Requests answered from the response cache.");
  registry_.describe(std::string(kMisses), Type::Counter, "Cache lookups that found nothing.");
  registry_.describe(std::string(kStores), Type::Counter, "Responses handed to the cache for storing.");
  registry_.describe(std::string(kBypasses), Type::Counter,
                     "Requests that did not use the cache, by reason.");
  registry_.describe(std::string(kErrors), Type::Counter,
                     "Cache backend failures and bad entries, by kind.");
  registry_.describe(std::string(kLookup), Type::Histogram, "Cache lookup latency (hits and misses).",
                     {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                      0.1, 0.25, 1});
  registry_.describe(std::string(kConnections), Type::Gauge,
                     "Redis connections ready for commands, over every worker.");
  registry_.set(kConnections, {}, 0);
}

void CacheMetrics::hit(double lookup_seconds) {
  registry_.add(kHits, {});
  registry_.observe(kLookup, {}, lookup_seconds);
}

void CacheMetrics::miss(double lookup_seconds) {
  registry_.add(kMisses, {});
  registry_.observe(kLookup, {}, lookup_seconds);
}

void CacheMetrics::bypass(std::string_view reason) {
  registry_.add(kBypasses, {{"reason", std::string(reason)}});
}

void CacheMetrics::stored() { registry_.add(kStores, {}); }

void CacheMetrics::error(std::string_view kind, std::string_view detail) {
  registry_.add(kErrors, {{"kind", std::string(kind)}});
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = failing_.emplace(kind).second;
    failing_count_ = failing_.size();
  }
  if (first) {
    nlohmann::json fields = {{"kind", kind}};
    if (!detail.empty()) fields["detail"] = detail;
    log_.warn("cache_degraded", std::move(fields));
  }
}

void CacheMetrics::recovered(std::string_view kind) {
  if (failing_count_.load(std::memory_order_relaxed) == 0) return;  // the common case
  bool was_failing = false;
  {
    std::lock_guard lock(mutex_);
    if (auto it = failing_.find(kind); it != failing_.end()) {
      failing_.erase(it);
      failing_count_ = failing_.size();
      was_failing = true;
    }
  }
  if (was_failing) log_.info("cache_recovered", {{"kind", kind}});
}

void CacheMetrics::connection_up() { registry_.add(kConnections, {}, 1); }
void CacheMetrics::connection_down() { registry_.add(kConnections, {}, -1); }
double CacheMetrics::connections() const { return registry_.value(kConnections, {}); }

}  // namespace hearth::cache
