#pragma once
// Runs one CompletionSource::complete on a test's io_context until it finishes, optionally
// bound to a cancellation signal the test emits; gives up (a test failure) after 10 s.

#include <chrono>
#include <optional>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "hearth/core/completion_source.hpp"

namespace hearth::testing {

inline Status run_source(boost::asio::io_context& io, CompletionSource& source,
                         const ChatRequest& request, CompletionSink& sink,
                         boost::asio::cancellation_signal* signal = nullptr) {
  namespace asio = boost::asio;
  RequestContext context{"req-1", "app", "team", TimePoint::max(), {}, nullptr};
  std::optional<Status> result;
  auto done = [&](std::exception_ptr error, Status status) {
    if (error) std::rethrow_exception(error);
    result = std::move(status);
  };
  auto task = source.complete(request, context, sink);
  if (signal != nullptr) {
    asio::co_spawn(io, std::move(task), asio::bind_cancellation_slot(signal->slot(), done));
  } else {
    asio::co_spawn(io, std::move(task), done);
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!result && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(std::chrono::milliseconds(50));
  }
  io.restart();
  if (!result) {
    ADD_FAILURE() << "the source did not finish";
    return make_error(ErrorCode::Internal, "did not finish");
  }
  return std::move(*result);
}

}  // namespace hearth::testing
