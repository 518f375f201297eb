#pragma once
// Server: the HTTP/1.1 front door. One acceptor per worker io_context (SO_REUSEPORT on one
// address), each worker running its own sessions against its own router. Construct, start(),
// run the io_contexts, shutdown(done). Methods are called from the thread that owns the
// Server; `done` may run on any worker thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "hearth/core/result.hpp"
#include "hearth/gateway/config.hpp"
#include "hearth/gateway/services.hpp"

namespace hearth::gateway {

namespace detail {
struct ServerState;
}

class Server {
 public:
  Server(std::vector<boost::asio::io_context*> workers, ServerConfig config,
         GatewayServices services);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts accepting on every worker. An unparsable or taken address is
  // an error, never an exception. Call once.
  Status start();

  // The bound port (useful with port 0); 0 before start().
  uint16_t port() const;

  // Stops accepting now; idle keep-alive connections close at once; in-flight requests
  // finish (then their connections close) until drain_timeout, when what is left is closed.
  // `done` runs once no session is left. Call once; the io_contexts must keep running.
  void shutdown(std::function<void()> done);

 private:
  std::shared_ptr<detail::ServerState> state_;
  uint16_t port_ = 0;
  bool started_ = false;
};

}  // namespace hearth::gateway
