#pragma once
// RecordingSink: a CompletionSink that keeps what it is sent, for assertions. It can play a
// client that goes away: fail_after(n) makes every send after the n-th successful one fail
// with Cancelled. on_chunk runs after each recorded chunk (e.g. to emit a cancellation).
// Not thread-safe: use it on the source's executor.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/completion_source.hpp"

namespace hearth::testing {

class RecordingSink final : public CompletionSink {
 public:
  void set_route(std::string_view route) override {
    if (!committed_) route_ = route;
  }

  Task<Status> send_chunk(const CompletionChunk& chunk) override {
    if (gone()) co_return make_error(ErrorCode::Cancelled, "client went away");
    committed_ = true;
    chunks_.push_back(chunk);
    ++sends_;
    if (on_chunk) on_chunk(chunks_.size());
    co_return Status{};
  }

  Task<Status> send_completion(const Completion& completion) override {
    if (gone()) co_return make_error(ErrorCode::Cancelled, "client went away");
    committed_ = true;
    completion_ = completion;
    ++sends_;
    co_return Status{};
  }

  bool committed() const override { return committed_; }

  // After `sends` successful sends, every send fails (the client is gone).
  void fail_after(std::size_t sends) { fail_after_ = sends; }

  const std::vector<CompletionChunk>& chunks() const { return chunks_; }
  const std::optional<Completion>& completion() const { return completion_; }
  const std::string& route() const { return route_; }

  // The streamed text: every chunk's choices[0].delta.content (or .text) joined.
  std::string streamed_text() const {
    std::string text;
    for (const auto& chunk : chunks_) {
      const Json& data = chunk.data.json();
      const Json& choices = data.contains("choices") ? data["choices"] : Json();
      if (!choices.is_array() || choices.empty()) continue;
      const Json& choice = choices[0];
      if (choice.contains("delta") && choice["delta"].contains("content") &&
          choice["delta"]["content"].is_string()) {
        text += choice["delta"]["content"].get<std::string>();
      } else if (choice.contains("text") && choice["text"].is_string()) {
        text += choice["text"].get<std::string>();
      }
    }
    return text;
  }

  std::function<void(std::size_t chunks_so_far)> on_chunk;

 private:
  bool gone() const { return fail_after_ && sends_ >= *fail_after_; }

  std::vector<CompletionChunk> chunks_;
  std::optional<Completion> completion_;
  std::string route_;
  bool committed_ = false;
  std::size_t sends_ = 0;
  std::optional<std::size_t> fail_after_;
};

}  // namespace hearth::testing
