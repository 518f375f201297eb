#pragma once
// Connection: one client socket, its read buffer, and the phase it is in. The phase's
// deadline is enforced by the worker's sweeper, which cancels the socket's pending operation
// when it passes. Touched only on its worker's thread.

#include <list>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "hearth/core/clock.hpp"

namespace hearth::gateway::detail {

enum class Phase {
  Idle,       // keep-alive, waiting for the first byte of a request
  Reading,    // request line, headers, body
  Handling,   // a handler runs; its own deadline applies
  Writing,    // a complete response is going out
  Lingering,  // after an error reply: discarding what the client still sends, then close
};

struct Connection {
  Connection(boost::asio::ip::tcp::socket s, size_t buffer_limit)
      : socket(std::move(s)), buffer(buffer_limit) {}

  // Enters a phase that must end by now + limit.
  void enter(Phase next, Duration limit) {
    enter(next, limit, limit == Duration::max() ? TimePoint() : std::chrono::steady_clock::now());
  }
  // The same for a caller that has just read the clock.
  void enter(Phase next, Duration limit, TimePoint now) {
    phase = next;
    deadline = limit == Duration::max() ? TimePoint::max() : now + limit;
    timed_out = false;
  }

  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;     // bytes read and not yet parsed (pipelining survives)
  Phase phase = Phase::Idle;
  TimePoint deadline = TimePoint::max();
  bool timed_out = false;               // the sweeper cancelled the pending operation
  bool closing = false;                 // shutdown asked this idle connection to go
  std::list<Connection*>::iterator registration;
};

}  // namespace hearth::gateway::detail
