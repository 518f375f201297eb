// The scheduler on the real stories260K model: continuous batching gives every request the
// tokens `generate()` gives it alone; admission refuses what does not fit; a cancelled
// request frees its slot.

#include "hearth/localnode/scheduler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "hearth/localnode/generate.hpp"
#include "model_files.hpp"

namespace hearth::localnode {
namespace {

using testing::LoadedModel;

LoadedModel load_stories() { return testing::load_model_file(testing::models_dir() / "stories260K.gguf"); }

// Waits for a generation to finish; collects its text.
struct Collector {
  std::mutex mutex;
  std::condition_variable cv;
  std::function<void()> notify() {
    return [this] {
      std::lock_guard lock(mutex);
      cv.notify_all();
    };
  }
  Generation::Output wait(Generation& gen) {
    Generation::Output all;
    std::unique_lock lock(mutex);
    for (;;) {
      Generation::Output out = gen.take();
      all.text += out.text;
      if (out.done) {
        out.text = all.text;
        return out;
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
};

// Holds the engine thread in a generation's news callback until released (at the latest when
// it goes out of scope, before the scheduler it is declared after): the tiny model can
// otherwise finish a generation, and free what it held, before the test has looked.
class EngineHold {
 public:
  ~EngineHold() { release(); }
  std::function<void()> callback() {
    return [held = future_] { held.wait(); };
  }
  void release() {
    if (!released_) promise_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> promise_;
  std::shared_future<void> future_ = promise_.get_future().share();
  bool released_ = false;
};

const char* const kPrompts[] = {
    "Once upon a time",
    "Lily and Tom went to the park. They saw a big",
    "The cat",
    "One day, a little girl named Sue found a shiny red ball under the tree near her house. She",
    "Tim",
    "The sun was hot and the birds were singing in the sky above the",
    "Max had a toy car",
    "There was a",
};

TEST(Scheduler, BatchedGreedyEqualsGeneratingAlone) {
  HEARTH_REQUIRE_MODEL_FILE(testing::models_dir() / "stories260K.gguf");
  LoadedModel l = load_stories();
  ASSERT_NE(l.model, nullptr);

  // Alone, one at a time.
  std::vector<GenerateResult> want;
  auto solo = InferenceContext::create(*l.model, {.n_ctx = 256, .n_threads = 2});
  ASSERT_TRUE(solo.ok());
  for (const char* prompt : kPrompts) {
    GenerateOptions o;
    o.max_tokens = 40;
    auto r = generate(**solo, *l.tokenizer, l.tokenizer->encode(prompt, true), o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    want.push_back(std::move(r).value());
  }

  // All at once, prompts chunked by 8 tokens between decode steps.
  auto ctx = InferenceContext::create(*l.model, {.n_ctx = 256, .n_seq = 8, .n_threads = 2});
  ASSERT_TRUE(ctx.ok());
  Scheduler scheduler(**ctx, *l.tokenizer, {.kv_budget_bytes = 64 << 20, .prefill_chunk = 8});
  Collector collector;
  std::vector<std::shared_ptr<Generation>> gens;
  for (const char* prompt : kPrompts) {
    GenerationJob job{l.tokenizer->encode(prompt, true), {}, {40, {}}};
    auto gen = scheduler.submit(std::move(job), collector.notify());
    ASSERT_TRUE(gen.ok()) << gen.error().message;
    gens.push_back(*gen);
  }
  uint64_t prompt_total = 0, completion_total = 0;
  for (size_t i = 0; i < gens.size(); ++i) {
    const Generation::Output got = collector.wait(*gens[i]);
    prompt_total += got.prompt_tokens;
    completion_total += got.completion_tokens;
    ASSERT_FALSE(got.error) << got.error->message;
    EXPECT_EQ(got.text, want[i].text) << kPrompts[i];
    EXPECT_EQ(got.reason, want[i].finish_reason) << kPrompts[i];
    EXPECT_EQ(got.completion_tokens, want[i].tokens.size());
    EXPECT_EQ(got.prompt_tokens, want[i].prompt_tokens.size());
  }
  const SchedulerStats stats = scheduler.stats();
  EXPECT_EQ(stats.busy_slots, 0u);
  EXPECT_EQ(stats.kv_reserved_bytes, 0u);
  EXPECT_GT(stats.prefill_tokens_per_s, 0);
  EXPECT_GT(stats.decode_tokens_per_s, 0);
  EXPECT_EQ(stats.prompt_tokens, prompt_total);
  EXPECT_EQ(stats.completion_tokens, completion_total);
}

TEST(Scheduler, RefusesWhatDoesNotFit) {
  HEARTH_REQUIRE_MODEL_FILE(testing::models_dir() / "stories260K.gguf");
  LoadedModel l = load_stories();
  ASSERT_NE(l.model, nullptr);
  auto ctx = InferenceContext::create(*l.model, {.n_ctx = 64, .n_seq = 2, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  const uint64_t per_token = l.model->summary(TensorType::F16).kv_bytes_per_token;
  // Room for 100 positions of KV.
  Scheduler scheduler(**ctx, *l.tokenizer, {.kv_budget_bytes = 100 * per_token});
  const std::vector<int32_t> prompt = l.tokenizer->encode("Once upon a time", true);

  // Context: the prompt must leave room for one token.
  auto too_long = scheduler.submit({std::vector<int32_t>(64, 5), {}, {10, {}}}, [] {});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, ErrorCode::ContextLengthExceeded);

  // Memory: 64 positions fit, a second 64 do not (the first held, as it would otherwise
  // generate its 59 tokens and free its memory within milliseconds).
  EngineHold hold;
  auto first = scheduler.submit({prompt, {}, {0, {}}}, hold.callback());
  ASSERT_TRUE(first.ok());
  auto second = scheduler.submit({prompt, {}, {0, {}}}, [] {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::Overloaded);
  EXPECT_NE(second.error().message.find("budget"), std::string::npos) << second.error().message;
  EXPECT_TRUE(second.error().retry_after.has_value());

  // Bad sampling options are the request's fault.
  SamplerOptions bad;
  bad.top_p = 2;
  auto invalid = scheduler.submit({prompt, bad, {10, {}}}, [] {});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::InvalidRequest);
  (*first)->cancel();
}

// Over the budget, refused at once. And since only admitted requests are measured, a rate
// measured too low would refuse everything for good: the refusal, on an idle engine, makes it
// measure the rate afresh, and the same request is admitted afterwards.
TEST(Scheduler, LatencyBudgetRefusesAtOnceThenRemeasuresTheRate) {
  HEARTH_REQUIRE_MODEL_FILE(testing::models_dir() / "stories260K.gguf");
  LoadedModel l = load_stories();
  ASSERT_NE(l.model, nullptr);
  auto ctx = InferenceContext::create(*l.model, {.n_ctx = 64, .n_seq = 2, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  // A "measured" rate of 10 tokens/s and a 100 ms budget: one token of prompt fits, five don't.
  Scheduler scheduler(**ctx, *l.tokenizer,
                      {.kv_budget_bytes = 64 << 20, .ttft_budget = Duration(100), .prefill_tokens_per_s = 10});
  const GenerationJob job{l.tokenizer->encode("Once upon a time", true), {}, {5, {}}};
  auto slow = scheduler.submit(job, [] {});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::Overloaded);
  EXPECT_NE(slow.error().message.find("time to first token"), std::string::npos) << slow.error().message;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (scheduler.stats().prefill_tokens_per_s <= 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(scheduler.stats().prefill_tokens_per_s, 10);
  Collector collector;
  auto admitted = scheduler.submit(job, collector.notify());
  ASSERT_TRUE(admitted.ok()) << admitted.error().message;
  EXPECT_FALSE(collector.wait(**admitted).error.has_value());
}

TEST(Scheduler, CancellingFreesTheSlot) {
  HEARTH_REQUIRE_MODEL_FILE(testing::models_dir() / "stories260K.gguf");
  LoadedModel l = load_stories();
  ASSERT_NE(l.model, nullptr);
  auto ctx = InferenceContext::create(*l.model, {.n_ctx = 2048, .n_seq = 1, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  Scheduler scheduler(**ctx, *l.tokenizer, {.kv_budget_bytes = 64 << 20});
  const std::vector<int32_t> prompt = l.tokenizer->encode("Once upon a time", true);
  Collector collector;
  // Up to 2048 tokens, or fewer if the story ends; held so that it cannot end before the next
  // request is tried.
  EngineHold hold;
  auto long_one = scheduler.submit({prompt, {}, {0, {}}}, hold.callback());
  ASSERT_TRUE(long_one.ok());
  auto refused = scheduler.submit({prompt, {}, {10, {}}}, [] {});
  ASSERT_FALSE(refused.ok());  // the one slot is busy
  hold.release();
  (*long_one)->cancel();
  // The engine frees it at its next step (a bound, not a timing assertion: 10 s means stuck).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (scheduler.stats().busy_slots != 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(scheduler.stats().busy_slots, 0u);
  EXPECT_EQ(scheduler.stats().kv_reserved_bytes, 0u);
  auto next = scheduler.submit({prompt, {}, {3, {}}}, collector.notify());
  ASSERT_TRUE(next.ok()) << next.error().message;
  const Generation::Output out = collector.wait(**next);
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.completion_tokens, 3u);
}

}  // namespace
}  // namespace hearth::localnode
