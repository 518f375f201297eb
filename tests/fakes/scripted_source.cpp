#include "fakes/scripted_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hearth::testing {
namespace {
constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);
}

void ScriptedSource::set_script(Script script) {
  std::lock_guard lock(mutex_);
  script_ = std::move(script);
}

ChatRequest ScriptedSource::last_request() const {
  std::lock_guard lock(mutex_);
  return last_request_;
}

RequestContext ScriptedSource::last_context() const {
  std::lock_guard lock(mutex_);
  return last_context_;
}

Json ScriptedSource::completion_body(const std::string& model) {
  return Json{{"id", "chatcmpl-scripted"},
              {"object", "chat.completion"},
              {"created", 1700000000},
              {"model", model},
              {"choices",
               Json::array({Json{{"index", 0},
                                 {"message", {{"role", "assistant"}, {"content", "Hello!"}}},
                                 {"finish_reason", "stop"}}})},
              {"usage", {{"prompt_tokens", 7}, {"completion_tokens", 2}, {"total_tokens", 9}}}};
}

Json ScriptedSource::chunk_body(const std::string& model, int index) {
  return Json{{"id", "chatcmpl-scripted"},
              {"object", "chat.completion.chunk"},
              {"created", 1700000000},
              {"model", model},
              {"choices", Json::array({Json{{"index", 0},
                                            {"delta", {{"content", "tok" + std::to_string(index)}}},
                                            {"finish_reason", nullptr}}})}};
}

Task<void> ScriptedSource::pause(Duration delay) {
  if (delay.count() <= 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  co_await timer.async_wait(kNoThrow);
}

Task<Status> ScriptedSource::wait_for_cancel() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, TimePoint::max());
  auto [ec] = co_await timer.async_wait(kNoThrow);
  if (ec == boost::asio::error::operation_aborted) saw_cancellation_ = true;
  co_return make_error(ErrorCode::Cancelled, "cancelled while waiting");
}

Task<Status> ScriptedSource::complete(const ChatRequest& request, const RequestContext& context,
                                      CompletionSink& sink) {
  Script script;
  {
    std::lock_guard lock(mutex_);
    script = script_;
    last_request_ = request;
    last_context_ = context;
  }
  ++calls_;
  sink.set_route(script.route);
  if (script.fail_before) co_return *script.fail_before;

  if (!request.stream) {
    if (script.wait_before_completion) co_return co_await wait_for_cancel();
    co_await pause(script.chunk_delay);
    // Named, not a temporary inside co_await: GCC 12 may destroy such temporaries twice.
    const Completion completion{completion_body(std::string(target_model(request, context)))};
    co_return co_await sink.send_completion(completion);
  }

  for (int i = 0; i < script.chunks; ++i) {
    co_await pause(script.chunk_delay);
    Json chunk = chunk_body(std::string(target_model(request, context)), i);
    if (wants_usage(request, context) && i + 1 == script.chunks) {
      chunk["usage"] = {{"prompt_tokens", 7}, {"completion_tokens", script.chunks},
                        {"total_tokens", 7 + script.chunks}};
    }
    const CompletionChunk message{std::move(chunk)};
    if (i == script.end_expected_before) sink.expect_end();
    auto sent = co_await sink.send_chunk(message);
    if (!sent.ok()) co_return sent;
    ++chunks_sent_;
  }
  switch (script.then) {
    case Then::Finish: co_return Status{};
    case Then::Fail: co_return script.error;
    case Then::WaitForCancel: co_return co_await wait_for_cancel();
  }
  co_return Status{};
}

}  // namespace hearth::testing
