#pragma once
// Whether the local node takes a request now: a pure decision over the request's size and the
// node's load, made at once on the I/O thread. It refuses what would overflow the context
// (the prompt is never truncated), what has no free slot, what its KV cache would not fit in
// the memory left, and what would start later than the latency budget allows — projected
// time to first token = how long the engine has been inside its current step, plus the
// prompt tokens waiting ahead of it and its own at the measured prefill rate. (An engine
// starved of CPU shows as a step that does not end, so its projections grow at once.)

#include <cstdint>
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
  // How much later than projected first tokens came lately (a moving average; counted as 0
  // when negative): what the projection leaves out (requests decoding beside the prefill, the
  // first sampling step, tokenization) is added to it, so that admitted requests keep within
  // the budget.
  Duration ttft_underestimate{0};
  Duration ttft_budget{0};               // 0: no latency budget
};

enum class AdmissionVerdict { Admit, ContextExceeded, NoSlot, OverMemory, OverLatency };
std::string_view to_string(AdmissionVerdict verdict);  // admitted | context | slots | memory | latency

struct Admission {
  AdmissionVerdict verdict = AdmissionVerdict::Admit;
  uint32_t kv_positions = 0;   // what to reserve: prompt + max_tokens, capped by the context
  uint64_t kv_bytes = 0;
  Duration projected_ttft{0};  // the prefill projection plus ttft_underestimate
  Duration prefill_projection{0};  // without it: what the first token's real time corrects
  std::string reason;          // a refusal, with its numbers
  Duration retry_after{1000};  // a refusal's hint to the client

  bool admitted() const { return verdict == AdmissionVerdict::Admit; }
};

Admission decide_admission(const AdmissionRequest& request, const NodeLoad& load);

}  // namespace hearth::localnode
