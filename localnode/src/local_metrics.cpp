#include "hearth/localnode/local_metrics.hpp"

namespace hearth::localnode {

LocalMetrics::LocalMetrics(MetricsRegistry& registry) : registry_(registry) {
  using Type = MetricsRegistry::Type;
  registry_.describe("hearth_local_queue_depth", Type::Gauge,
                     "Admitted requests whose prompt is not fully prefilled yet.");
  registry_.describe("hearth_local_busy_slots", Type::Gauge, "Slots serving a request.");
  registry_.describe("hearth_local_slots", Type::Gauge, "Slots configured.");
  registry_.describe("hearth_local_kv_bytes_used", Type::Gauge,
                     "KV cache bytes reserved by admitted requests.");
  registry_.describe("hearth_local_kv_bytes_budget", Type::Gauge,
                     "KV cache bytes the memory budget leaves after the weights.");
  registry_.describe("hearth_local_prefill_tokens_per_second", Type::Gauge,
                     "Prompt tokens per second (moving average of real steps).");
  registry_.describe("hearth_local_decode_tokens_per_second", Type::Gauge,
                     "Generated tokens per second over all streams (moving average).");
  registry_.describe("hearth_local_tokens_total", Type::Counter,
                     "Tokens through the engine, by kind (prompt, completion).");
  registry_.describe("hearth_local_admissions_total", Type::Counter,
                     "Admission decisions, by result (admitted, context, slots, memory, latency).");
  registry_.describe("hearth_local_ttft_seconds", Type::Histogram,
                     "Time from admission to the first generated token.", latency_buckets());
  registry_.describe("hearth_local_ttft_over_projection", Type::Histogram,
                     "Time to first token over admission's projection of it (at least 100 ms).",
                     {0.5, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0});
  registry_.describe("hearth_local_ttft_factor", Type::Gauge,
                     "What latency admission multiplies its projections by (0: fewer than 4 first "
                     "tokens timed in the last 30 s).");
}

void LocalMetrics::admission(const std::string& model, AdmissionVerdict verdict) {
  registry_.add("hearth_local_admissions_total",
                {{"model", model}, {"result", std::string(to_string(verdict))}});
}

void LocalMetrics::first_token(const std::string& model, Duration ttft, Duration projected) {
  registry_.observe("hearth_local_ttft_seconds", {{"model", model}},
                    std::chrono::duration<double>(ttft).count());
  registry_.observe("hearth_local_ttft_over_projection", {{"model", model}}, LatenessWindow::ratio(ttft, projected));
}

void LocalMetrics::load(const std::string& model, const SchedulerStats& s) {
  const Labels labels{{"model", model}};
  registry_.set("hearth_local_queue_depth", labels, s.queued);
  registry_.set("hearth_local_busy_slots", labels, s.busy_slots);
  registry_.set("hearth_local_slots", labels, s.slots);
  registry_.set("hearth_local_kv_bytes_used", labels, static_cast<double>(s.kv_reserved_bytes));
  registry_.set("hearth_local_kv_bytes_budget", labels, static_cast<double>(s.kv_budget_bytes));
  registry_.set("hearth_local_prefill_tokens_per_second", labels, s.prefill_tokens_per_s);
  registry_.set("hearth_local_decode_tokens_per_second", labels, s.decode_tokens_per_s);
  registry_.set("hearth_local_ttft_factor", labels, s.ttft_factor.value_or(0.0));
  // Totals are counters: set to the scheduler's running totals.
  registry_.set("hearth_local_tokens_total", {{"model", model}, {"kind", "prompt"}},
                static_cast<double>(s.prompt_tokens));
  registry_.set("hearth_local_tokens_total", {{"model", model}, {"kind", "completion"}},
                static_cast<double>(s.completion_tokens));
}

}  // namespace hearth::localnode
