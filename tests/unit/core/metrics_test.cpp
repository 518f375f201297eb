#include "hearth/core/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace hearth {
namespace {

TEST(MetricsRegistry, RendersCountersWithEscapedLabels) {
  MetricsRegistry registry;
  registry.describe("hearth_requests_total", MetricsRegistry::Type::Counter, "Requests.");
  registry.add("hearth_requests_total", {{"route", "up\"x"}, {"status", "200"}});
  registry.add("hearth_requests_total", {{"route", "up\"x"}, {"status", "200"}}, 2);
  EXPECT_EQ(registry.value("hearth_requests_total", {{"route", "up\"x"}, {"status", "200"}}), 3);
  auto text = registry.render();
  EXPECT_NE(text.find("# TYPE hearth_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("hearth_requests_total{route=\"up\\\"x\",status=\"200\"} 3\n"),
            std::string::npos)
      << text;
}

// Series kept by reference record from many threads without the registry's lock and lose
// nothing; a value on a bound counts in that bucket, NaN in none but +Inf.
TEST(MetricsRegistry, KeptSeriesRecordFromManyThreads) {
  MetricsRegistry registry;
  registry.describe("n", MetricsRegistry::Type::Counter, "N.");
  registry.describe("lat", MetricsRegistry::Type::Histogram, "Latency.", {0.5, 1});
  MetricsRegistry::Series& n = registry.series("n", {{"k", "v"}});
  MetricsRegistry::Series& lat = registry.series("lat", {});
  EXPECT_EQ(&registry.series("n", {{"k", "v"}}), &n);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        n.add();
        lat.observe(i % 2 == 0 ? 0.5 : 2.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  lat.observe(std::nan(""));
  EXPECT_EQ(registry.value("n", {{"k", "v"}}), 40000);
  const auto text = registry.render();
  EXPECT_NE(text.find("lat_bucket{le=\"0.5\"} 20000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"1\"} 20000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"+Inf\"} 40001\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  registry.describe("lat", MetricsRegistry::Type::Histogram, "Latency.", {0.1, 1});
  registry.observe("lat", {}, 0.05);
  registry.observe("lat", {}, 0.5);
  registry.observe("lat", {}, 5);
  auto text = registry.render();
  EXPECT_NE(text.find("lat_bucket{le=\"0.10000000000000001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_count 3\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, UndescribedMetricIsAProgrammingError) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.add("nope", {}), std::logic_error);
}

}  // namespace
}  // namespace hearth
