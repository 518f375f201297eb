#include "hearth/localnode/admission.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::localnode {
namespace {

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1u << 19)) >> 20) + " MiB";
}

}  // namespace

std::string_view to_string(AdmissionVerdict verdict) {
  switch (verdict) {
    case AdmissionVerdict::Admit:
      return "admitted";
    case AdmissionVerdict::ContextExceeded:
      return "context";
    case AdmissionVerdict::NoSlot:
      return "slots";
    case AdmissionVerdict::OverMemory:
      return "memory";
    case AdmissionVerdict::OverLatency:
      return "latency";
  }
  return "?";
}

Admission decide_admission(const AdmissionRequest& request, const NodeLoad& load) {
  Admission a;
  // The prompt and at least one generated token must fit the context.
  if (request.prompt_tokens == 0 || request.prompt_tokens >= load.n_ctx) {
    a.verdict = AdmissionVerdict::ContextExceeded;
    a.reason = "the prompt has " + std::to_string(request.prompt_tokens) +
               " tokens; the model's context holds " + std::to_string(load.n_ctx) +
               " (prompt and completion together)";
    return a;
  }
  const uint64_t wanted = request.max_tokens == 0
                              ? load.n_ctx
                              : uint64_t{request.prompt_tokens} + request.max_tokens;
  a.kv_positions = static_cast<uint32_t>(std::min<uint64_t>(wanted, load.n_ctx));
  a.kv_bytes = uint64_t{a.kv_positions} * load.kv_bytes_per_token;

  if (load.free_slots == 0) {
    a.verdict = AdmissionVerdict::NoSlot;
    a.reason = "every slot is busy";
    return a;
  }
  const uint64_t free_bytes =
      load.kv_budget_bytes > load.kv_reserved_bytes ? load.kv_budget_bytes - load.kv_reserved_bytes : 0;
  if (a.kv_bytes > free_bytes) {
    a.verdict = AdmissionVerdict::OverMemory;
    a.reason = "its KV cache (" + std::to_string(a.kv_positions) + " positions, " +
               mib(a.kv_bytes) + ") does not fit the " + mib(free_bytes) + " left of the budget";
    return a;
  }
  a.prefill_projection = load.in_step;
  if (load.prefill_tokens_per_s > 0) {
    const double seconds =
        static_cast<double>(load.prefill_backlog_tokens + request.prompt_tokens) /
        load.prefill_tokens_per_s;
    a.prefill_projection += Duration(static_cast<Duration::rep>(std::ceil(seconds * 1000.0)));
  }
  // Until enough first tokens are timed, a busy engine's projection counts twice; an idle one's
  // counts as it is, so that a node whose projections are all over the budget's half still
  // takes requests, and learns.
  const bool idle_engine = load.in_step == Duration::zero() && load.prefill_backlog_tokens == 0;
  const double factor = load.ttft_factor ? std::max(*load.ttft_factor, 1.0) : idle_engine ? 1.0 : 2.0;
  a.projected_ttft = Duration(
      static_cast<Duration::rep>(std::ceil(static_cast<double>(a.prefill_projection.count()) * factor)));
  if (load.ttft_budget > Duration::zero() && a.projected_ttft > load.ttft_budget) {
    a.verdict = AdmissionVerdict::OverLatency;
    a.reason = "projected time to first token " + std::to_string(a.projected_ttft.count()) +
               " ms exceeds the budget of " + std::to_string(load.ttft_budget.count()) + " ms";
    // The backlog ahead of it drains in about this long.
    a.retry_after = std::max(Duration(1000), a.projected_ttft - load.ttft_budget);
    return a;
  }
  return a;
}

double LatenessWindow::ratio(Duration actual, Duration projected) {
  return static_cast<double>(actual.count()) / static_cast<double>(std::max(projected, kShortestProjection).count());
}

void LatenessWindow::record(TimePoint now, Duration actual, Duration projected) {
  samples_[next_] = {now, ratio(actual, projected)};
  next_ = (next_ + 1) % kSize;
  count_ = std::min(count_ + 1, kSize);
}

std::optional<double> LatenessWindow::factor(TimePoint now) const {
  std::array<double, kSize> young{};
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i) {
    if (now - samples_[i].at <= kMaxAge) young[n++] = samples_[i].factor;
  }
  if (n < kFewestSamples) return std::nullopt;
  double sum = 0, largest = 0;
  for (size_t i = 0; i < n; ++i) sum += young[i], largest = std::max(largest, young[i]);
  const double mean = sum / static_cast<double>(n);
  double squares = 0;
  for (size_t i = 0; i < n; ++i) squares += (young[i] - mean) * (young[i] - mean);
  const double sd = std::sqrt(squares / static_cast<double>(n - 1));  // n >= kFewestSamples
  return std::max(largest, mean + kNormalP99 * sd);
}

}  // namespace hearth::localnode
