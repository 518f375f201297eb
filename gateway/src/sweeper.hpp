#pragma once
// The sweeper enforces each connection's phase deadline (idle, header, body, write, linger)
// by cancelling its socket's pending operation, and carries out a worker's part of a
// shutdown. One per worker, on its thread: one timer for all connections, none per request.

#include <memory>

#include "hearth/core/completion_source.hpp"
#include "server_state.hpp"

namespace hearth::gateway::detail {

// Runs until the worker is draining and has no connection left; releases its count then.
Task<void> sweep_loop(std::shared_ptr<ServerState> state, Worker& worker);

// On the worker's thread: stop accepting, close idle connections, start the drain clock.
void start_drain(ServerState& state, Worker& worker);

}  // namespace hearth::gateway::detail
