#include "hearth/localnode/scheduler.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "hearth/localnode/generate.hpp"
#include "thread_pool.hpp"

namespace hearth::localnode {
namespace {

using SteadyTime = std::chrono::steady_clock;

// How much a new measurement moves the rates the admission projects with.
constexpr double kRateWeight = 0.2;

// A fresh prefill measurement after latency refusals: at most this often, this many tokens.
constexpr auto kRemeasureEvery = std::chrono::seconds(10);
constexpr uint32_t kRemeasureTokens = 64;

double blend(double average, double sample) {
  return average <= 0 ? sample : (1 - kRateWeight) * average + kRateWeight * sample;
}

}  // namespace

struct Scheduler::Sequence {
  Sequence(uint32_t s, std::shared_ptr<Generation> g, std::vector<int32_t> p, SequenceDecoder d,
           Admission a)
      : slot(s), gen(std::move(g)), prompt(std::move(p)), decoder(std::move(d)), admission(std::move(a)) {}

  uint32_t slot;
  std::shared_ptr<Generation> gen;
  std::vector<int32_t> prompt;
  SequenceDecoder decoder;
  Admission admission;
  SteadyTime::time_point submitted = SteadyTime::now();
  size_t prefilled = 0;     // prompt tokens evaluated
  int32_t next = -1;        // the token to evaluate next, once decoding
  bool first_token = false;

  bool decoding() const { return prefilled == prompt.size(); }
};

Scheduler::Scheduler(InferenceContext& ctx, const Tokenizer& tokenizer, SchedulerOptions options,
                     SchedulerObserver observer)
    : ctx_(ctx),
      tokenizer_(tokenizer),
      options_(options),
      observer_(std::move(observer)),
      kv_bytes_per_token_(ctx.model().summary(ctx.kv_type()).kv_bytes_per_token),
      prefill_rate_(options.prefill_tokens_per_s),
      slots_(ctx.n_seq()) {
  for (uint32_t s = ctx.n_seq(); s > 0; --s) free_slots_.push_back(s - 1);
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (!thread_.joinable()) return;
  thread_.join();
  const Error stopped = make_error(ErrorCode::Overloaded, "the local node stopped");
  for (auto& seq : inbox_) seq->gen->fail(stopped);
  inbox_.clear();
  for (auto& seq : slots_) {
    if (seq) seq->gen->fail(stopped);
    seq.reset();
  }
}

Result<std::shared_ptr<Generation>> Scheduler::submit(GenerationJob job,
                                                      std::function<void()> notify) {
  if (job.prompt.empty()) return make_error(ErrorCode::InvalidRequest, "the prompt has no tokens");
  const AdmissionRequest request{static_cast<uint32_t>(std::min<size_t>(job.prompt.size(), UINT32_MAX)),
                                 static_cast<uint32_t>(std::max(job.limits.max_tokens, 0))};
  // Without max_tokens, the context decides where it ends.
  if (job.limits.max_tokens <= 0) job.limits.max_tokens = std::numeric_limits<int>::max();
  auto decoder = SequenceDecoder::create(tokenizer_, ctx_.model().config().n_vocab, job.sampling,
                                         std::move(job.limits), job.prompt);
  if (!decoder) return std::move(decoder).error();

  auto gen = std::make_shared<Generation>(std::move(notify));
  Admission admission;
  bool remeasure = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = SteadyTime::now();
    const NodeLoad load{ctx_.n_ctx(),
                        static_cast<uint32_t>(free_slots_.size()),
                        kv_bytes_per_token_,
                        options_.kv_budget_bytes,
                        kv_reserved_bytes_,
                        prefill_backlog_,
                        prefill_rate_,
                        busy_ ? std::chrono::duration_cast<Duration>(now - step_end_) : Duration(0),
                        lateness_.factor(now),
                        options_.ttft_budget};
    admission = decide_admission(request, load);
    if (admission.verdict == AdmissionVerdict::OverLatency && !busy_ && inbox_.empty() &&
        !free_slots_.empty() && now - last_remeasure_ >= kRemeasureEvery) {
      remeasure_ = remeasure = true;
      last_remeasure_ = now;
    }
    if (admission.admitted()) {
      const uint32_t slot = free_slots_.back();
      free_slots_.pop_back();
      kv_reserved_bytes_ += admission.kv_bytes;
      prefill_backlog_ += job.prompt.size();
      ++queued_;
      inbox_.push_back(std::make_unique<Sequence>(slot, gen, std::move(job.prompt),
                                                  std::move(decoder).value(), admission));
    }
  }
  if (observer_.on_admission) observer_.on_admission(admission);
  if (admission.verdict == AdmissionVerdict::ContextExceeded) {
    return make_error(ErrorCode::ContextLengthExceeded, admission.reason);
  }
  if (!admission.admitted()) {
    if (remeasure) wake_.notify_one();
    Error overloaded = make_error(ErrorCode::Overloaded, "The local node cannot take the request now: " + admission.reason + ".");
    overloaded.retry_after = admission.retry_after;
    return overloaded;
  }
  wake_.notify_one();
  return gen;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  SchedulerStats s;
  s.slots = ctx_.n_seq();
  s.busy_slots = ctx_.n_seq() - static_cast<uint32_t>(free_slots_.size());
  s.queued = queued_;
  s.kv_reserved_bytes = kv_reserved_bytes_;
  s.kv_budget_bytes = options_.kv_budget_bytes;
  s.prefill_tokens_per_s = prefill_rate_;
  s.decode_tokens_per_s = decode_rate_;
  s.prompt_tokens = prompt_tokens_total_;
  s.completion_tokens = completion_tokens_total_;
  s.ttft_factor = lateness_.factor(SteadyTime::now());
  return s;
}

void Scheduler::run() {
  pthread_setname_np(pthread_self(), "hearth-engine");
  if (options_.background) run_in_background();
  for (;;) {
    std::vector<std::unique_ptr<Sequence>> fresh;
    {
      std::unique_lock lock(mutex_);
      const auto active = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s != nullptr; });
      };
      // The step that ended; an idle engine is not inside one.
      step_end_ = SteadyTime::now();
      busy_ = active();
      wake_.wait(lock, [&] { return stop_ || !inbox_.empty() || active() || remeasure_; });
      if (stop_) return;
      if (remeasure_ && inbox_.empty() && !busy_) {
        remeasure_prefill(lock);
        continue;
      }
      remeasure_ = false;  // requests came: they measure
      fresh.swap(inbox_);
      if (!busy_) step_end_ = SteadyTime::now();  // from idle: the next step starts now
      busy_ = true;
    }
    start_new(fresh);
    step();
  }
}

void Scheduler::remeasure_prefill(std::unique_lock<std::mutex>& lock) {
  remeasure_ = false;
  if (free_slots_.empty()) return;
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  // Requests submitted meanwhile see a step under way, and wait for it in their projection.
  busy_ = true;
  step_end_ = SteadyTime::now();
  lock.unlock();
  const Result<double> rate = calibrate_prefill(ctx_, slot, std::min(kRemeasureTokens, ctx_.n_ctx()));
  lock.lock();
  free_slots_.push_back(slot);
  if (rate && *rate > 0) prefill_rate_ = *rate;  // a whole measurement: it replaces the average
}

void Scheduler::start_new(std::vector<std::unique_ptr<Sequence>>& fresh) {
  for (auto& seq : fresh) {
    const uint32_t slot = seq->slot;
    slots_[slot] = std::move(seq);
    if (Status reserved = ctx_.reserve(slot, slots_[slot]->admission.kv_positions); !reserved) {
      const std::shared_ptr<Generation> gen = slots_[slot]->gen;
      release(slot);
      gen->fail(std::move(reserved).error());
      continue;
    }
    prefill_order_.push_back(slot);
  }
}

void Scheduler::step() {
  // Drop what the consumers cancelled: their slots are free for the next request at once.
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot] && slots_[slot]->gen->cancelled()) release(slot);
  }

  // Batch one generated token per decoding sequence, then prompt chunks, oldest first.
  std::vector<SequenceTokens> batch;
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    Sequence* seq = slots_[slot].get();
    if (seq != nullptr && seq->decoding()) batch.push_back({slot, {&seq->next, 1}, false, true});
  }
  const size_t n_decode = batch.size();
  size_t budget = std::min<size_t>(options_.prefill_chunk, InferenceContext::max_batch() - n_decode);
  size_t n_prefill = 0;
  for (uint32_t slot : prefill_order_) {
    if (budget == 0) break;
    Sequence& seq = *slots_[slot];
    const size_t n = std::min(budget, seq.prompt.size() - seq.prefilled);
    const bool last = seq.prefilled + n == seq.prompt.size();
    batch.push_back({slot, {seq.prompt.data() + seq.prefilled, n}, true, last});
    budget -= n;
    n_prefill += n;
  }
  if (batch.empty()) return;

  // Run it.
  const auto t0 = SteadyTime::now();
  auto logits = ctx_.eval(batch);
  const double seconds = std::chrono::duration<double>(SteadyTime::now() - t0).count();
  if (!logits) {
    for (const SequenceTokens& part : batch) {
      const std::shared_ptr<Generation> gen = slots_[part.seq]->gen;
      release(part.seq);
      gen->fail(logits.error());
    }
    return;
  }

  // Account for the prompt tokens consumed and the rates seen.
  uint32_t prefills_done = 0;
  for (size_t i = n_decode; i < batch.size(); ++i) {
    const SequenceTokens& part = batch[i];
    Sequence& seq = *slots_[part.seq];
    seq.prefilled += part.tokens.size();
    if (seq.decoding()) {
      ++prefills_done;
      prefill_order_.erase(std::find(prefill_order_.begin(), prefill_order_.end(), part.seq));
    }
  }
  {
    std::lock_guard lock(mutex_);
    prefill_backlog_ -= n_prefill;
    queued_ -= prefills_done;
    prompt_tokens_total_ += n_prefill;
    if (seconds > 0 && n_prefill > 0) prefill_rate_ = blend(prefill_rate_, static_cast<double>(n_prefill) / seconds);
    if (seconds > 0 && n_decode > 0 && n_prefill == 0) {
      decode_rate_ = blend(decode_rate_, static_cast<double>(n_decode) / seconds);
    }
  }

  // Sample the next token of every sequence that asked for logits.
  const size_t n_vocab = ctx_.model().config().n_vocab;
  size_t row = 0;
  uint64_t sampled = 0;
  struct Finished {
    std::shared_ptr<Generation> gen;
    FinishReason reason;
    uint32_t prompt_tokens, completion_tokens;
  };
  std::vector<Finished> done;
  std::span<const int32_t> argmax;  // asked for once, if a sequence samples greedily
  for (const SequenceTokens& part : batch) {
    if (!part.logits) continue;
    Sequence& seq = *slots_[part.seq];
    const size_t before = seq.decoder.tokens().size();
    std::optional<int32_t> chosen;
    if (seq.decoder.argmax_only()) {
      if (argmax.empty()) argmax = ctx_.argmax();
      chosen = argmax[row];
    }
    const auto step = seq.decoder.step(logits->subspan(row++ * n_vocab, n_vocab),
                                       ctx_.capacity(part.seq) - ctx_.n_past(part.seq), chosen);
    sampled += seq.decoder.tokens().size() - before;
    if (!seq.first_token) {
      seq.first_token = true;
      const auto now = SteadyTime::now();
      const auto ttft = std::chrono::duration_cast<Duration>(now - seq.submitted);
      {
        std::lock_guard lock(mutex_);
        lateness_.record(now, ttft, seq.admission.prefill_projection);
      }
      if (observer_.on_first_token) observer_.on_first_token(ttft, seq.admission.prefill_projection);
    }
    seq.gen->emit(step.text);
    if (seq.decoder.finished()) {
      done.push_back({seq.gen, seq.decoder.finish_reason(), static_cast<uint32_t>(seq.prompt.size()),
                      static_cast<uint32_t>(seq.decoder.tokens().size())});
      release(part.seq);
    } else {
      seq.next = *step.next;
    }
  }
  {
    std::lock_guard lock(mutex_);
    completion_tokens_total_ += sampled;
  }
  // The consumers hear of a finish only once its slot is free and the totals count it.
  for (Finished& f : done) f.gen->finish(f.reason, f.prompt_tokens, f.completion_tokens);
}

void Scheduler::release(uint32_t slot) {
  std::unique_ptr<Sequence> seq = std::move(slots_[slot]);
  (void)ctx_.reserve(slot, 0);
  const size_t unprefilled = seq->prompt.size() - seq->prefilled;
  if (unprefilled > 0) {
    prefill_order_.erase(std::remove(prefill_order_.begin(), prefill_order_.end(), slot),
                         prefill_order_.end());
  }
  {
    std::lock_guard lock(mutex_);
    kv_reserved_bytes_ -= seq->admission.kv_bytes;
    prefill_backlog_ -= unprefilled;
    if (unprefilled > 0) --queued_;
    free_slots_.push_back(slot);
  }
  if (observer_.on_release) observer_.on_release();
}

Result<double> calibrate_prefill(InferenceContext& ctx, uint32_t seq, uint32_t n_tokens) {
  if (Status reserved = ctx.reserve(seq, n_tokens); !reserved) return std::move(reserved).error();
  std::vector<int32_t> tokens(n_tokens);
  const auto n_vocab = static_cast<int32_t>(ctx.model().config().n_vocab);
  for (uint32_t i = 0; i < n_tokens; ++i) tokens[i] = static_cast<int32_t>((i * 7919u) % static_cast<uint32_t>(n_vocab));
  const auto t0 = SteadyTime::now();
  auto logits = prefill(ctx, seq, tokens);
  const double seconds = std::chrono::duration<double>(SteadyTime::now() - t0).count();
  (void)ctx.reserve(seq, 0);
  if (!logits) return std::move(logits).error();
  return seconds > 0 ? n_tokens / seconds : 0.0;
}

}  // namespace hearth::localnode
