#pragma once
// ScriptedSource: a CompletionSource that does what the test says — answer a completion,
// stream N chunks, fail before or after committing, or wait until cancelled — and records
// what it saw. The script is set from the test thread; complete() runs on a worker thread.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "hearth/core/completion_source.hpp"

namespace hearth::testing {

class ScriptedSource final : public CompletionSource {
 public:
  enum class Then {
    Finish,         // return OK
    Fail,           // return `error` (after the chunks, so after commit when chunks > 0)
    WaitForCancel,  // wait until the caller cancels, then return Cancelled
  };

  struct Script {
    std::string route = "upstream:fake";
    std::optional<Error> fail_before;  // fail before sending anything (before commit)
    int chunks = 3;                    // streamed chunks, for stream requests
    Duration chunk_delay{0};           // pause before each chunk
    Then then = Then::Finish;
    Error error = make_error(ErrorCode::UpstreamError, "scripted failure");
    bool wait_before_completion = false;  // non-stream: wait for cancellation, send nothing
    int end_expected_before = -1;  // stream: sink.expect_end() before this chunk, as a source
                                   // does once it has seen the end marker
  };

  void set_script(Script script);

  Task<Status> complete(const ChatRequest& request, const RequestContext& context,
                        CompletionSink& sink) override;

  int calls() const { return calls_.load(); }
  int chunks_sent() const { return chunks_sent_.load(); }
  bool saw_cancellation() const { return saw_cancellation_.load(); }
  ChatRequest last_request() const;
  RequestContext last_context() const;

  // The bodies it produces, for assertions.
  static Json completion_body(const std::string& model);
  static Json chunk_body(const std::string& model, int index);

 private:
  Task<void> pause(Duration delay);
  Task<Status> wait_for_cancel();

  mutable std::mutex mutex_;
  Script script_;
  ChatRequest last_request_;
  RequestContext last_context_;
  std::atomic<int> calls_{0};
  std::atomic<int> chunks_sent_{0};
  std::atomic<bool> saw_cancellation_{false};
};

}  // namespace hearth::testing
