#pragma once
// MetricsRegistry: counters, gauges and histograms with labels, rendered as Prometheus
// text. Thread-safe; owned by the composition root and passed by reference to whoever
// records.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
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

  // One labelled series. Recording into it takes neither a lookup nor the registry's lock, so
  // per-request paths look their series up once and keep the reference (it lives as long as
  // the registry).
  class Series {
   public:
    void add(double value = 1) { value_.fetch_add(value, std::memory_order_relaxed); }  // counter/gauge
    void set(double value) { value_.store(value, std::memory_order_relaxed); }          // gauge
    void observe(double value);                                                         // histogram

   private:
    friend class MetricsRegistry;
    std::atomic<double> value_{0};
    const std::vector<double>* bounds_ = nullptr;          // a histogram's buckets (its family's)
    std::unique_ptr<std::atomic<uint64_t>[]> in_bucket_;  // per bucket, not cumulative
    std::atomic<double> sum_{0};
    std::atomic<uint64_t> count_{0};
  };

  // Declares a family; recording into an undeclared name is a programming error.
  void describe(std::string name, Type type, std::string help, std::vector<double> buckets = {});

  // The series `labels` of family `name`, created at its first use.
  Series& series(std::string_view name, const Labels& labels);

  void add(std::string_view name, const Labels& labels, double value = 1) { series(name, labels).add(value); }
  void set(std::string_view name, const Labels& labels, double value) { series(name, labels).set(value); }
  void observe(std::string_view name, const Labels& labels, double value) { series(name, labels).observe(value); }

  // The current value of a counter or gauge series (0 if never recorded). For tests and
  // health reports.
  double value(std::string_view name, const Labels& labels) const;

  std::string render() const;

 private:
  struct Family {
    Type type = Type::Counter;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;  // nodes stay put: Series references stay valid
  };

  mutable std::mutex mutex_;  // guards the maps, not the values
  std::map<std::string, Family, std::less<>> families_;
};

// Latency buckets in seconds, from 0.5 ms to 60 s.
std::vector<double> latency_buckets();

}  // namespace hearth
