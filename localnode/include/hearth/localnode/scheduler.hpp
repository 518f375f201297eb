#pragma once
// The local node's scheduler: one engine thread (with the context's compute threads) serves
// every admitted request of one model by continuous batching. Requests join between decode
// steps and leave the moment they finish or are cancelled; each step carries one generated
// token per decoding sequence plus a bounded chunk of prompt tokens, so a long prompt is
// prefilled over several steps while the running streams keep decoding. submit() decides at
// once, on the caller's thread (memory, slots, projected time to first token): it never
// waits for the engine. Thread-safe; owns its thread; the context and tokenizer must outlive
// it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hearth/core/clock.hpp"
#include "hearth/core/result.hpp"
#include "hearth/localnode/admission.hpp"
#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generation.hpp"
#include "hearth/localnode/sampler.hpp"
#include "hearth/localnode/sequence_decoder.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

struct SchedulerOptions {
  uint64_t kv_budget_bytes = 0;   // for KV caches: the memory budget less the weights
  Duration ttft_budget{0};        // 0: no latency budget
  uint32_t prefill_chunk = 64;    // prompt tokens per step, shared by the prefilling sequences
  double prefill_tokens_per_s = 0;  // the calibration's figure, until real runs replace it
  bool background = false;  // the engine thread run_in_background() (see ContextOptions)
};

// A request as the engine sees it: tokens in, sampling and limits.
struct GenerationJob {
  std::vector<int32_t> prompt;
  SamplerOptions sampling;
  DecodeLimits limits;  // limits.max_tokens 0: as many as the context holds
};

// What the node is doing, for metrics and /readyz.
struct SchedulerStats {
  uint32_t slots = 0;
  uint32_t busy_slots = 0;
  uint32_t queued = 0;  // admitted, prompt not fully prefilled
  uint64_t kv_reserved_bytes = 0;
  uint64_t kv_budget_bytes = 0;
  double prefill_tokens_per_s = 0;  // moving averages of real steps
  double decode_tokens_per_s = 0;
  uint64_t prompt_tokens = 0;       // totals since start
  uint64_t completion_tokens = 0;
  std::optional<double> ttft_factor;  // what admission multiplies projections by (LatenessWindow)
};

// Told about admissions (on the submitting thread), first tokens and freed slots (on the
// engine thread), for metrics. Each is optional.
struct SchedulerObserver {
  std::function<void(const Admission&)> on_admission;
  std::function<void(Duration ttft, Duration projected)> on_first_token;  // projected: its prefill projection
  std::function<void()> on_release;
};

class Scheduler {
 public:
  Scheduler(InferenceContext& ctx, const Tokenizer& tokenizer, SchedulerOptions options,
            SchedulerObserver observer = {});
  ~Scheduler();  // stop()s
  // Stops the engine thread; generations still running fail with Overloaded. Idempotent.
  void stop();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Admits the job or refuses it at once: ContextLengthExceeded (the prompt does not fit),
  // InvalidRequest (bad sampling options), or Overloaded with the reason and a retry hint.
  // `notify` is called from the engine thread whenever the generation has news.
  [[nodiscard]] Result<std::shared_ptr<Generation>> submit(GenerationJob job,
                                                           std::function<void()> notify);

  SchedulerStats stats() const;

 private:
  struct Sequence;
  void run();
  // Takes the newly admitted sequences into the engine's slots.
  void start_new(std::vector<std::unique_ptr<Sequence>>& fresh);
  // One batch: a token for each decoding sequence, a chunk of prompt for the others.
  void step();
  void remeasure_prefill(std::unique_lock<std::mutex>& lock);
  void release(uint32_t slot);

  InferenceContext& ctx_;
  const Tokenizer& tokenizer_;
  SchedulerOptions options_;
  SchedulerObserver observer_;
  const uint64_t kv_bytes_per_token_;

  // Shared with submit(), under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<std::unique_ptr<Sequence>> inbox_;
  std::vector<uint32_t> free_slots_;
  uint64_t kv_reserved_bytes_ = 0;
  uint64_t prefill_backlog_ = 0;
  uint32_t queued_ = 0;
  double prefill_rate_ = 0;
  // First tokens' times over their prefill projections.
  LatenessWindow lateness_;
  // Set by a latency refusal while the engine is idle: the engine measures the prefill rate
  // afresh. A rate measured too low (at start-up on a busy host, say) would otherwise refuse
  // every request for good, since only admitted requests are measured.
  bool remeasure_ = false;
  std::chrono::steady_clock::time_point last_remeasure_{};
  bool busy_ = false;                                  // sequences in the slots
  std::chrono::steady_clock::time_point step_end_{};  // when the current step started
  double decode_rate_ = 0;
  uint64_t prompt_tokens_total_ = 0;
  uint64_t completion_tokens_total_ = 0;

  // The engine thread's own.
  std::vector<std::unique_ptr<Sequence>> slots_;  // by slot; null: free
  std::deque<uint32_t> prefill_order_;            // slots still prefilling, oldest first
  std::thread thread_;
};

// Measures the prefill rate: `n_tokens` prompt tokens through sequence `seq` of `ctx` (which
// is reserved and freed again). Tokens per second.
[[nodiscard]] Result<double> calibrate_prefill(InferenceContext& ctx, uint32_t seq, uint32_t n_tokens);

}  // namespace hearth::localnode
