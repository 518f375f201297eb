#pragma once
// One admitted request's output on its way from the engine thread to whoever waits for it:
// text appended as it becomes final, then the finish (or an error). The engine calls
// `notify` after each change, from its own thread; the consumer then take()s what is new. The
// consumer can cancel at any time: the engine drops the sequence at its next step.
// Thread-safe; shared by the scheduler and the consumer.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hearth/core/error.hpp"
#include "hearth/localnode/sequence_decoder.hpp"

namespace hearth::localnode {

class Generation {
 public:
  explicit Generation(std::function<void()> notify) : notify_(std::move(notify)) {}

  struct Output {
    std::string text;  // new since the last take()
    bool done = false;
    std::optional<Error> error;  // the engine failed it (done is then true)
    FinishReason reason = FinishReason::Length;
    uint32_t prompt_tokens = 0;
    uint32_t completion_tokens = 0;
  };

  // Consumer: what is new since the last call; nothing while the engine is changing it (the
  // consumer never waits for the engine, which notifies after every change).
  Output take();
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

  // Engine: appends final text; ends the generation.
  void emit(std::string_view text);
  void finish(FinishReason reason, uint32_t prompt_tokens, uint32_t completion_tokens);
  void fail(Error error);

 private:
  std::function<void()> notify_;
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  Output pending_;
};

}  // namespace hearth::localnode
