#pragma once
// A session serves one client connection: HTTP/1.1 keep-alive, requests read under their
// limits and timeouts, each dispatched to its handler, until either side closes.

#include <memory>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "hearth/core/completion_source.hpp"
#include "server_state.hpp"

namespace hearth::gateway::detail {

// Runs the connection to its end on `worker`'s thread. The caller has counted it in
// state->connections and state->live; this releases both. The caller spawns it with
// `cancel`'s slot bound, and keeps `cancel` until it completes: the session stops a request's
// router (client gone, deadline) by cancelling its own pending operation.
Task<void> run_session(std::shared_ptr<ServerState> state, Worker& worker,
                       boost::asio::ip::tcp::socket socket, boost::asio::cancellation_signal& cancel);

}  // namespace hearth::gateway::detail
