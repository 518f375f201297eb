#pragma once
// The local node's Prometheus series, labelled by model: queue depth, busy slots, KV bytes
// used and budgeted, prefill and decode tokens/s, admissions and refusals by reason, the time
// to first token, and how it compared with admission's projection. Thread-safe (the registry
// is); owned by the composition root.

#include <string>

#include "hearth/core/clock.hpp"
#include "hearth/core/metrics.hpp"
#include "hearth/localnode/admission.hpp"
#include "hearth/localnode/scheduler.hpp"

namespace hearth::localnode {

class LocalMetrics {
 public:
  explicit LocalMetrics(MetricsRegistry& registry);

  void admission(const std::string& model, AdmissionVerdict verdict);
  void first_token(const std::string& model, Duration ttft, Duration projected);
  void load(const std::string& model, const SchedulerStats& stats);

 private:
  MetricsRegistry& registry_;
};

}  // namespace hearth::localnode
