#pragma once
// The listener: binds a worker's acceptor and accepts connections into sessions, refusing
// those beyond max_connections.

#include <cstdint>
#include <memory>
#include <span>

#include <boost/asio/ip/tcp.hpp>

#include "hearth/core/completion_source.hpp"
#include "server_state.hpp"

namespace hearth::gateway::detail {

// Opens, binds and listens on `endpoint` an acceptor for each worker; returns the port (the
// one the kernel chose, for port 0). An address in use is an error. With more than one worker,
// each listens on its own socket of one SO_REUSEPORT group, so that a new connection wakes one
// worker: on one socket shared by all, every worker's epoll woke for it and all but one found
// nothing to accept (+0.025 ms on a new connection's first byte with two workers). A probe
// bound first without SO_REUSEPORT keeps a second hearth on the address an error; it would
// otherwise join the group and take a share of the connections.
Result<uint16_t> open_acceptors(std::span<Worker* const> workers,
                                boost::asio::ip::tcp::endpoint endpoint);

// Accepts until the acceptor closes; releases its count then.
Task<void> accept_loop(std::shared_ptr<ServerState> state, Worker& worker);

}  // namespace hearth::gateway::detail
