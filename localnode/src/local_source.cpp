#include "hearth/localnode/local_source.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <ctime>
#include <memory>
#include <vector>

#include "hearth/localnode/openai_job.hpp"

namespace hearth::localnode {
namespace asio = boost::asio;

namespace {

// Cancels the generation however the coroutine ends: a finished one ignores it.
struct CancelOnExit {
  std::shared_ptr<Generation> generation;
  ~CancelOnExit() { generation->cancel(); }
};

// How the engine tells the I/O thread that a generation has news, without a lock that the
// I/O thread also takes: an eventfd, written by the engine (a system call) and read by the
// relay through its own descriptor. A low-priority engine thread preempted while holding the
// io_context's queue lock (asio::post) or any other would stall the whole I/O thread behind it.
// The engine's side keeps the file open as long as it may still ring.
class Doorbell {
 public:
  Doorbell() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Doorbell() {
    if (fd_ >= 0) close(fd_);
  }
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void ring() const {
    const uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);  // a full counter (never, in practice) still wakes
  }

 private:
  int fd_;
};

// Relays the generation's output until it is done, the sink fails, or the coroutine is
// cancelled. `doorbell` becomes readable whenever the engine has news; reading it takes
// every ring since the last read, so none is lost while the relay sends.
Task<Status> relay(Generation& gen, asio::posix::stream_descriptor& doorbell, bool stream,
                   bool include_usage, const ResponseHead& head, CompletionSink& sink) {
  auto cancellation = co_await asio::this_coro::cancellation_state;
  std::string text;
  bool first = true;
  for (;;) {
    if (cancellation.cancelled() != asio::cancellation_type::none) {
      co_return make_error(ErrorCode::Cancelled, "The request was cancelled.");
    }
    // Take what is new, and wait only when there is nothing (or the engine holds the
    // generation: it rings once it lets go).
    Generation::Output out = gen.take();
    if (out.error) co_return *out.error;
    if (out.text.empty() && !out.done) {
      uint64_t rings = 0;
      auto [ec, n] = co_await doorbell.async_read_some(asio::buffer(&rings, sizeof rings),
                                                       asio::as_tuple(asio::use_awaitable));
      (void)n;
      // Rung by the engine, or cancelled (the loop looks); anything else would spin.
      if (ec && ec != asio::error::operation_aborted) {
        co_return make_error(ErrorCode::Internal,
                             "The local node's wake-up failed: " + ec.message());
      }
      continue;
    }
    const Usage usage{out.prompt_tokens, out.completion_tokens, out.prompt_tokens + out.completion_tokens};
    if (stream) {
      std::vector<CompletionChunk> chunks;
      if (!out.text.empty() || (out.done && first)) {
        chunks.push_back({chunk_object(head, out.text, first, nullptr)});
        first = false;
      }
      if (out.done) {
        chunks.push_back({chunk_object(head, "", false, &out.reason)});
        if (include_usage) chunks.push_back({usage_chunk_object(head, usage)});
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
  const std::string_view name = target_model(request, context);
  auto it = models_.find(name);
  if (it == models_.end()) {
    co_return make_error(ErrorCode::ModelNotFound,
                         "No local model is named '" + std::string(name) + "'.", "model");
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
  const auto no_doorbell = [] {
    return make_error(ErrorCode::Internal, "The local node could not create a wake-up descriptor.");
  };
  auto bell = std::make_shared<const Doorbell>();
  if (!bell->ok()) co_return no_doorbell();
  auto submitted = scheduler->submit(std::move(job).value(), [bell] { bell->ring(); });
  if (!submitted) {
    Error refused = std::move(submitted).error();
    if (refused.code == ErrorCode::ContextLengthExceeded) {
      refused.param = request.endpoint == Endpoint::ChatCompletions ? "messages" : "prompt";
    }
    co_return refused;
  }
  const CancelOnExit guard{*submitted};
  // The relay's own descriptor of the doorbell: closing it leaves the engine's side open.
  const int reader = dup(bell->fd());
  if (reader < 0) co_return no_doorbell();
  asio::posix::stream_descriptor doorbell(co_await asio::this_coro::executor, reader);

  const bool chat = request.endpoint == Endpoint::ChatCompletions;
  const ResponseHead head{(chat ? "chatcmpl-" : "cmpl-") + context.request_id,
                          static_cast<int64_t>(std::time(nullptr)), std::string(name),
                          request.endpoint};

  // Cancellation must reach us as a result, not as an exception at the next co_await; the
  // setting belongs to the whole coroutine stack, so restore it on the way out.
  const bool throw_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Status result;
  std::exception_ptr failure;
  try {
    result = co_await relay(**submitted, doorbell, request.stream, wants_usage(request, context),
                            head, sink);
  } catch (...) {
    failure = std::current_exception();
  }
  co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
  if (failure) std::rethrow_exception(failure);
  co_return result;
}

}  // namespace hearth::localnode
