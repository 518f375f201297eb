#pragma once
// Whether the local node takes a request now: a pure decision over the request's size and the
// node's load, made at once on the I/O thread. It refuses what would overflow the context
// (the prompt is never truncated), what has no free slot, what its KV cache would not fit in
// the memory left, and what would start later than the latency budget allows — projected
// time to first token = (how long the engine has been inside its current step, plus the
// prompt tokens waiting ahead of it and its own at the measured prefill rate) times how much
// longer than projected first tokens have lately taken. (An engine starved of CPU shows as a
// step that does not end, so its projections grow at once.)

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "hearth/core/clock.hpp"

namespace hearth::localnode {

struct AdmissionRequest {
  uint32_t prompt_tokens = 0;
  uint32_t max_tokens = 0;  // 0: as many as the context holds
};

struct NodeLoad {
  uint32_t n_ctx = 0;                    // positions one sequence may hold
  uint32_t free_slots = 0;
  uint64_t kv_bytes_per_token = 0;
  uint64_t kv_budget_bytes = 0;          // the memory budget less the weights
  uint64_t kv_reserved_bytes = 0;        // held by admitted requests
  uint64_t prefill_backlog_tokens = 0;   // admitted prompt tokens not prefilled yet
  double prefill_tokens_per_s = 0;       // measured (a moving average)
  Duration in_step{0};                   // how long the engine's current step has run (0: idle)
  // How many times its projection a first token takes (LatenessWindow::factor; counted as 1
  // when less): what the projection leaves out (other processes taking the cores, requests
  // decoding beside the prefill, the first sampling step) scales it, so that admitted
  // requests keep within the budget. Until enough first tokens are timed (none), it is 2
  // while the engine is busy, 1 while it is idle.
  std::optional<double> ttft_factor{1.0};
  Duration ttft_budget{0};               // 0: no latency budget
};

enum class AdmissionVerdict { Admit, ContextExceeded, NoSlot, OverMemory, OverLatency };
std::string_view to_string(AdmissionVerdict verdict);  // admitted | context | slots | memory | latency

struct Admission {
  AdmissionVerdict verdict = AdmissionVerdict::Admit;
  uint32_t kv_positions = 0;   // what to reserve: prompt + max_tokens, capped by the context
  uint64_t kv_bytes = 0;
  Duration projected_ttft{0};  // the prefill projection times ttft_factor
  Duration prefill_projection{0};  // before the factor: what LatenessWindow compares with
  std::string reason;          // a refusal, with its numbers
  Duration retry_after{1000};  // a refusal's hint to the client

  bool admitted() const { return verdict == AdmissionVerdict::Admit; }
};

Admission decide_admission(const AdmissionRequest& request, const NodeLoad& load);

// The recent first tokens' lateness, for NodeLoad::ttft_factor: each one's actual time to
// first token over its projection. Requests wait behind each other's prefills, so lateness
// grows with the projection: on a host whose other processes take a third of the cores,
// every projected prefill takes half as long again. Admission packs requests up to the
// budget, so a mean factor would leave about half of those admitted late. The budget is a
// promise for nearly every request (its p99), so the factor is what 99 % of first tokens
// stay under if their factors are normal, mean + 2.33 standard deviations, or the largest
// seen if that is more, over the last 16 first tokens within 30 s (at least 4 of them).
// Only admitted requests are measured; the age limit keeps a factor grown under conditions
// now gone from refusing requests for good.
class LatenessWindow {
 public:
  static constexpr size_t kSize = 16;
  static constexpr Duration kMaxAge{30'000};
  // Below this a projection is mostly the step under way and the first sampling, whose
  // lateness does not scale with it: shorter projections are counted as this long.
  static constexpr Duration kShortestProjection{100};
  static constexpr double kNormalP99 = 2.326;
  static constexpr size_t kFewestSamples = 4;  // fewer tell too little of the spread

  // A first token's time over its projection, the latter counted as at least
  // kShortestProjection.
  static double ratio(Duration actual, Duration projected);

  void record(TimePoint now, Duration actual, Duration projected);
  std::optional<double> factor(TimePoint now) const;  // none: fewer than 4 samples young enough

 private:
  struct Sample {
    TimePoint at;
    double factor;
  };
  std::array<Sample, kSize> samples_{};  // a ring; the first count_ hold samples
  size_t count_ = 0, next_ = 0;
};

}  // namespace hearth::localnode
