#pragma once
// Worker: what one io_context thread owns — its acceptor, its connections, its request-id
// generator, the sweeper timer. Touched only on that thread (shutdown posts to it).

#include <cstddef>
#include <list>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "connection.hpp"
#include "hearth/gateway/request_id.hpp"

namespace hearth::gateway::detail {

struct Worker {
  Worker(boost::asio::io_context& context, size_t worker_index)
      : io(context), index(worker_index), acceptor(context), sweep_timer(context) {}

  boost::asio::io_context& io;
  size_t index;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer sweep_timer;
  RequestIdGenerator ids;
  std::list<Connection*> connections;
  bool draining = false;
  TimePoint drain_deadline = TimePoint::max();
};

}  // namespace hearth::gateway::detail
