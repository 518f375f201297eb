#include "listener.hpp"

#include <sys/socket.h>

#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "session.hpp"

namespace hearth::gateway::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::string_view kBusyBody =
    R"({"error":{"message":"Too many connections; retry later.",)"
    R"("type":"service_unavailable_error","param":null,"code":"too_many_connections"}})";

// Answers 503 without waiting (the reply fits an empty socket buffer) and closes.
void refuse(tcp::socket& socket) {
  std::string reply =
      "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
      "retry-after: 1\r\nconnection: close\r\ncontent-length: " +
      std::to_string(kBusyBody.size()) + "\r\n\r\n" + std::string(kBusyBody);
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(reply), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Opens, binds and (unless `listen` is false) listens; `reuse_port` joins the address's
// SO_REUSEPORT group.
Status open_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool reuse_port,
                     bool listen) {
  boost::system::error_code ec;
  auto fail = [&](std::string_view step) -> Status {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return make_error(ErrorCode::Internal, "cannot " + std::string(step) + " " +
                                               endpoint.address().to_string() + ":" +
                                               std::to_string(endpoint.port()) + ": " +
                                               ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && reuse_port) {
    acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  }
  if (ec) return fail("configure a socket for");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  if (listen) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  return {};
}

}  // namespace

Result<uint16_t> open_acceptors(std::span<Worker* const> workers, tcp::endpoint endpoint) {
  if (workers.size() == 1) {
    auto& acceptor = workers.front()->acceptor;
    if (auto opened = open_acceptor(acceptor, endpoint, false, true); !opened) {
      return std::move(opened).error();
    }
    return acceptor.local_endpoint().port();
  }
  // The probe claims the address as a plain socket would: it fails while anything, another
  // hearth's group included, listens there. Closed again, it leaves the port (chosen by the
  // kernel for port 0) to the group.
  {
    tcp::acceptor probe(workers.front()->io);
    if (auto opened = open_acceptor(probe, endpoint, false, false); !opened) {
      return std::move(opened).error();
    }
    endpoint.port(probe.local_endpoint().port());
  }
  for (Worker* worker : workers) {
    if (auto opened = open_acceptor(worker->acceptor, endpoint, true, true); !opened) {
      for (Worker* opened_before : workers) {
        boost::system::error_code ignored;
        opened_before->acceptor.close(ignored);
      }
      return std::move(opened).error();
    }
  }
  return endpoint.port();
}

Task<void> accept_loop(std::shared_ptr<ServerState> state, Worker& worker) {
  constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
  const size_t max_connections = state->config.limits.max_connections;
  while (worker.acceptor.is_open()) {
    auto [ec, socket] = co_await worker.acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || !worker.acceptor.is_open()) break;
    if (ec) {
      // Out of descriptors or memory: say so, back off briefly, keep serving.
      state->services.log.warn("accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(worker.io, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (state->connections.fetch_add(1) >= max_connections) {
      state->connections.fetch_sub(1);
      state->metrics.connection_rejected();
      refuse(socket);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    socket.non_blocking(true, ignored);  // for reads and writes tried before waiting
    state->retain();
    auto cancel = std::make_shared<asio::cancellation_signal>();
    asio::co_spawn(worker.io, run_session(state, worker, std::move(socket), *cancel),
                   asio::bind_cancellation_slot(cancel->slot(), [cancel](const std::exception_ptr&) {}));
  }
  state->release();
}

}  // namespace hearth::gateway::detail
