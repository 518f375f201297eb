#include "hearth/core/metrics.hpp"

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

MetricsRegistry::Series& MetricsRegistry::series_locked(std::string_view name,
                                                        const Labels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    throw std::logic_error("metric not described: " + std::string(name));
  }
  auto& series = it->second.series[labels];
  if (it->second.type == Type::Histogram && series.bucket_counts.empty()) {
    series.bucket_counts.assign(it->second.buckets.size(), 0);
  }
  return series;
}

void MetricsRegistry::add(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  series_locked(name, labels).value += value;
}

void MetricsRegistry::set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  series_locked(name, labels).value = value;
}

void MetricsRegistry::observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& series = series_locked(name, labels);
  const auto& buckets = families_.find(name)->second.buckets;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (value <= buckets[i]) ++series.bucket_counts[i];
  }
  series.sum += value;
  ++series.count;
}

double MetricsRegistry::value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto series = it->second.series.find(labels);
  return series == it->second.series.end() ? 0 : series->second.value;
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
        out += name + render_labels(labels) + " " + format_number(series.value) + "\n";
        continue;
      }
      for (size_t i = 0; i < family.buckets.size(); ++i) {
        out += name + "_bucket" +
               render_labels(labels, "le=\"" + format_number(family.buckets[i]) + "\"") + " " +
               std::to_string(series.bucket_counts[i]) + "\n";
      }
      out += name + "_bucket" + render_labels(labels, "le=\"+Inf\"") + " " +
             std::to_string(series.count) + "\n";
      out += name + "_sum" + render_labels(labels) + " " + format_number(series.sum) + "\n";
      out += name + "_count" + render_labels(labels) + " " + std::to_string(series.count) + "\n";
    }
  }
  return out;
}

}  // namespace hearth
