#include "sweeper.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hearth::gateway::detail {
namespace {

bool has_deadline(Phase phase) { return phase != Phase::Handling; }

void sweep(Worker& worker, TimePoint now) {
  const bool force_close = worker.draining && now >= worker.drain_deadline;
  for (Connection* conn : worker.connections) {
    boost::system::error_code ignored;
    if (force_close) {
      conn->closing = true;
      conn->socket.close(ignored);
    } else if (has_deadline(conn->phase) && now >= conn->deadline) {
      conn->timed_out = true;
      conn->deadline = TimePoint::max();
      conn->socket.cancel(ignored);
    }
  }
}

}  // namespace

Task<void> sweep_loop(std::shared_ptr<ServerState> state, Worker& worker) {
  constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);
  while (!(worker.draining && worker.connections.empty())) {
    worker.sweep_timer.expires_after(state->sweep_interval);
    co_await worker.sweep_timer.async_wait(kNoThrow);
    sweep(worker, std::chrono::steady_clock::now());
  }
  state->release();
}

void start_drain(ServerState& state, Worker& worker) {
  boost::system::error_code ignored;
  worker.draining = true;
  worker.drain_deadline = std::chrono::steady_clock::now() + state.config.drain_timeout;
  worker.acceptor.close(ignored);
  for (Connection* conn : worker.connections) {
    if (conn->phase == Phase::Idle) {
      conn->closing = true;
      conn->socket.cancel(ignored);
    }
  }
  if (worker.connections.empty()) worker.sweep_timer.cancel();
}

}  // namespace hearth::gateway::detail
