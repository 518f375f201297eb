#pragma once
// MetricsRegistry: counters, gauges and histograms with labels, rendered as Prometheus
// text. Thread-safe; owned by the composition root and passed by reference to whoever
// records.

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  enum class Type { Counter, Gauge, Histogram };

  // Declares a family; recording into an undeclared name is a programming error.
  void describe(std::string name, Type type, std::string help, std::vector<double> buckets = {});

  void add(std::string_view name, const Labels& labels, double value = 1);     // counter/gauge
  void set(std::string_view name, const Labels& labels, double value);         // gauge
  void observe(std::string_view name, const Labels& labels, double value);     // histogram

  // The current value of a counter or gauge series (0 if never recorded). For tests and
  // health reports.
  double value(std::string_view name, const Labels& labels) const;

  std::string render() const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type = Type::Counter;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Series& series_locked(std::string_view name, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// Latency buckets in seconds, from 0.5 ms to 60 s.
std::vector<double> latency_buckets();

}  // namespace hearth
