#include "hearth/core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace hearth {
namespace {

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string format_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string render_labels(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += key + "=\"" + escape_label(value) + "\"";
  }
  if (!extra.empty()) {
    if (!first) out += ',';
    out += extra;
  }
  return out + "}";
}

}  // namespace

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,    1,     2.5,    5,     10,   30,    60};
}

void MetricsRegistry::describe(std::string name, Type type, std::string help,
                               std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto& family = families_[std::move(name)];
  family.type = type;
  family.help = std::move(help);
  family.buckets = std::move(buckets);
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    throw std::logic_error("metric not described: " + std::string(name));
  }
  Family& family = it->second;
  auto [at, created] = family.series.try_emplace(labels);
  Series& series = at->second;
  if (created && family.type == Type::Histogram) {
    series.bounds_ = &family.buckets;
    series.in_bucket_ = std::make_unique<std::atomic<uint64_t>[]>(family.buckets.size());
  }
  return series;
}

void MetricsRegistry::Series::observe(double value) {
  const auto& bounds = *bounds_;
  const size_t bucket = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  if (bucket < bounds.size() && value <= bounds[bucket]) in_bucket_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

double MetricsRegistry::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto series = it->second.series.find(labels);
  return series == it->second.series.end() ? 0 : series->second.value_.load(std::memory_order_relaxed);
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + kTypeNames[static_cast<int>(family.type)] + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::Histogram) {
        out += name + render_labels(labels) + " " + format_number(series.value_.load(std::memory_order_relaxed)) + "\n";
        continue;
      }
      // Read while others record: the count first, so that no bucket exceeds +Inf's count...
      const uint64_t count = series.count_.load(std::memory_order_relaxed);
      uint64_t cumulative = 0;
      for (size_t i = 0; i < family.buckets.size(); ++i) {
        // ...and each cumulative bucket capped by it.
        cumulative += series.in_bucket_[i].load(std::memory_order_relaxed);
        out += name + "_bucket" +
               render_labels(labels, "le=\"" + format_number(family.buckets[i]) + "\"") + " " +
               std::to_string(std::min(cumulative, count)) + "\n";
      }
      out += name + "_bucket" + render_labels(labels, "le=\"+Inf\"") + " " + std::to_string(count) + "\n";
      out += name + "_sum" + render_labels(labels) + " " + format_number(series.sum_.load(std::memory_order_relaxed)) + "\n";
      out += name + "_count" + render_labels(labels) + " " + std::to_string(count) + "\n";
    }
  }
  return out;
}

}  // namespace hearth
