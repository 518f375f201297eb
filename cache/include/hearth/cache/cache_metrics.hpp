#pragma once
// CacheMetrics: the cache's counters in the shared registry, and its "log once" memory of
// trouble: the first failure of a kind is logged as a warning and the rest only counted,
// until the kind recovers (logged once too). Construct once; thread-safe; shared by every
// worker's cache.

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "hearth/core/log.hpp"
#include "hearth/core/metrics.hpp"

namespace hearth::cache {

class CacheMetrics {
 public:
  CacheMetrics(MetricsRegistry& registry, Logger& log);

  // The outcome of one request's lookup.
  void hit(double lookup_seconds);
  void miss(double lookup_seconds);
  void bypass(std::string_view reason);  // no_cache, nondeterministic, unavailable, ...
  void stored();                         // an entry was handed to the backend

  // A backend or entry problem: counted by kind; logged the first time it is seen since it
  // last recovered. Kinds: lookup_timeout, lookup_error, store_refused, connect_failed,
  // corrupt_entry, ...
  void error(std::string_view kind, std::string_view detail = {});
  // The kind works again (logged if it had been failing).
  void recovered(std::string_view kind);

  // Redis connections up or down (a gauge of connections currently usable).
  void connection_up();
  void connection_down();
  double connections() const;

  MetricsRegistry& registry() { return registry_; }

 private:
  MetricsRegistry& registry_;
  Logger& log_;
  std::mutex mutex_;
  std::set<std::string, std::less<>> failing_;
  std::atomic<size_t> failing_count_{0};  // failing_.size(), read without the lock
};

}  // namespace hearth::cache
