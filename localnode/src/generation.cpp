#include "hearth/localnode/generation.hpp"

#include <utility>

namespace hearth::localnode {

Generation::Output Generation::take() {
  // Never wait for the engine: it notifies again once it lets go.
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return {};
  Output out = pending_;
  pending_.text.clear();  // the text is handed over once; the finish stays
  return out;
}

void Generation::emit(std::string_view text) {
  if (text.empty()) return;
  {
    std::lock_guard lock(mutex_);
    pending_.text += text;
  }
  notify_();
}

void Generation::finish(FinishReason reason, uint32_t prompt_tokens, uint32_t completion_tokens) {
  {
    std::lock_guard lock(mutex_);
    pending_.done = true;
    pending_.reason = reason;
    pending_.prompt_tokens = prompt_tokens;
    pending_.completion_tokens = completion_tokens;
  }
  notify_();
}

void Generation::fail(Error error) {
  {
    std::lock_guard lock(mutex_);
    pending_.done = true;
    pending_.error = std::move(error);
  }
  notify_();
}

}  // namespace hearth::localnode
