#pragma once
// The listener: binds a worker's acceptor and accepts connections into sessions, refusing
// those beyond max_connections.

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "hearth/core/completion_source.hpp"
#include "server_state.hpp"

namespace hearth::gateway::detail {

// Opens, binds and listens; an address in use is an error.
Status open_acceptor(boost::asio::ip::tcp::acceptor& acceptor,
                     const boost::asio::ip::tcp::endpoint& endpoint);

// Makes `acceptor` (another worker's) accept on a duplicate of `listening`'s socket.
Status share_acceptor(boost::asio::ip::tcp::acceptor& acceptor,
                      boost::asio::ip::tcp::acceptor& listening);

// Accepts until the acceptor closes; releases its count then.
Task<void> accept_loop(std::shared_ptr<ServerState> state, Worker& worker);

}  // namespace hearth::gateway::detail
