#include "hearth/localnode/local_source.hpp"

#include <ctime>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "hearth/localnode/openai_job.hpp"

namespace hearth::localnode {
namespace asio = boost::asio;

namespace {

// Cancels the generation however the coroutine ends: a finished one ignores it.
struct CancelOnExit {
  std::shared_ptr<Generation> generation;
  ~CancelOnExit() { generation->cancel(); }
};

// Relays the generation's output until it is done, the sink fails, or the coroutine is
// cancelled. `wake` is cancelled (from the engine, through the executor) whenever there is news.
Task<Status> relay(Generation& gen, asio::steady_timer& wake, const ChatRequest& request,
                   const ResponseHead& head, CompletionSink& sink) {
  auto cancellation = co_await asio::this_coro::cancellation_state;
  std::string text;
  bool first = true;
  for (;;) {
    if (cancellation.cancelled() != asio::cancellation_type::none) {
      co_return make_error(ErrorCode::Cancelled, "The request was cancelled.");
    }
    // Take what is new, and wait only when there is nothing: a wake-up posted while this
    // coroutine was busy (sending) finds no wait to end, so the next take() must come first.
    Generation::Output out = gen.take();
    if (out.error) co_return *out.error;
    if (out.text.empty() && !out.done) {
      wake.expires_at(asio::steady_timer::time_point::max());
      auto [ec] = co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;  // woken by the engine, or cancelled: the loop looks at both
      continue;
    }
    const Usage usage{out.prompt_tokens, out.completion_tokens, out.prompt_tokens + out.completion_tokens};
    if (request.stream) {
      std::vector<CompletionChunk> chunks;
      if (!out.text.empty() || (out.done && first)) {
        chunks.push_back({chunk_object(head, out.text, first, nullptr)});
        first = false;
      }
      if (out.done) {
        chunks.push_back({chunk_object(head, "", false, &out.reason)});
        if (request.include_usage) chunks.push_back({usage_chunk_object(head, usage)});
      }
      if (!chunks.empty()) {
        Status sent = co_await sink.send_chunks(chunks);
        if (!sent) co_return sent;
      }
    } else {
      text += out.text;
      if (out.done) {
        const Completion completion{completion_object(head, text, out.reason, usage)};
        co_return co_await sink.send_completion(completion);
      }
    }
    if (out.done) co_return Status{};
  }
}

}  // namespace

LocalSource::LocalSource(std::map<std::string, LocalModel*, std::less<>> models,
                         std::function<uint64_t()> seed)
    : models_(std::move(models)), seed_(std::move(seed)) {}

Task<Status> LocalSource::complete(const ChatRequest& request, const RequestContext& context,
                                   CompletionSink& sink) {
  auto it = models_.find(request.model);
  if (it == models_.end()) {
    co_return make_error(ErrorCode::ModelNotFound, "No local model is named '" + request.model + "'.", "model");
  }
  LocalModel& model = *it->second;
  Scheduler* scheduler = model.scheduler();
  if (scheduler == nullptr) {
    const bool loading = model.state() == LocalModelState::Loading;
    Error unavailable = make_error(ErrorCode::Overloaded,
                                   "The local model '" + model.name() + "' is " +
                                       (loading ? "still loading." : "unavailable (see /readyz)."));
    unavailable.retry_after = Duration(loading ? 1000 : 30'000);
    co_return unavailable;
  }
  auto job = job_from_request(request, model.tokenizer(), model.chat_template(), seed_());
  if (!job) co_return std::move(job).error();

  // Submit: admitted or refused at once.
  auto executor = co_await asio::this_coro::executor;
  auto wake = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  std::weak_ptr<asio::steady_timer> weak_wake = wake;
  auto submitted = scheduler->submit(std::move(job).value(), [executor, weak_wake] {
    asio::post(executor, [weak_wake] {
      if (auto timer = weak_wake.lock()) timer->cancel();
    });
  });
  if (!submitted) {
    Error refused = std::move(submitted).error();
    if (refused.code == ErrorCode::ContextLengthExceeded) {
      refused.param = request.endpoint == Endpoint::ChatCompletions ? "messages" : "prompt";
    }
    co_return refused;
  }
  const CancelOnExit guard{*submitted};

  const bool chat = request.endpoint == Endpoint::ChatCompletions;
  const ResponseHead head{(chat ? "chatcmpl-" : "cmpl-") + context.request_id,
                          static_cast<int64_t>(std::time(nullptr)), request.model, request.endpoint};

  // Cancellation must reach us as a result, not as an exception at the next co_await; the
  // setting belongs to the whole coroutine stack, so restore it on the way out.
  const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Status result;
  std::exception_ptr failure;
  try {
    result = co_await relay(**submitted, *wake, request, head, sink);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
  if (failure) std::rethrow_exception(failure);
  co_return result;
}

}  // namespace hearth::localnode
