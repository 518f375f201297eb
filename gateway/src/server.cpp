#include "hearth/gateway/server.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "listener.hpp"
#include "server_state.hpp"
#include "sweeper.hpp"

namespace hearth::gateway {
namespace detail {
namespace {

// A tick fine enough for the shortest timeout, coarse enough to cost nothing.
Duration sweep_interval_for(const Limits& limits) {
  auto shortest = std::min({limits.header_timeout, limits.body_timeout, limits.idle_timeout});
  return std::clamp(shortest / 8, Duration(10), Duration(1000));
}

}  // namespace

ServerState::ServerState(std::vector<boost::asio::io_context*> contexts,
                         ServerConfig server_config, GatewayServices gateway_services)
    : config(std::move(server_config)),
      services(std::move(gateway_services)),
      metrics(services.metrics),
      sweep_interval(sweep_interval_for(config.limits)),
      linger_time(std::min(config.limits.header_timeout, Duration(2000))),
      created_unix_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()) {
  for (size_t i = 0; i < contexts.size(); ++i) {
    workers.push_back(std::make_unique<Worker>(*contexts[i], i));
  }
}

void ServerState::release() {
  if (live.fetch_sub(1) == 1 && draining.load()) finish_if_idle();
}

void ServerState::finish_if_idle() {
  if (live.load() != 0) return;
  std::function<void()> callback;
  {
    std::lock_guard lock(done_mutex);
    callback = std::exchange(done, nullptr);
  }
  if (callback) callback();
}

}  // namespace detail

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<tcp::endpoint> resolve(const ListenAddress& address) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (!ec) return tcp::endpoint(ip, address.port);
  asio::io_context context;
  tcp::resolver resolver(context);
  auto results = resolver.resolve(address.host, std::to_string(address.port),
                                  tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::InvalidRequest,
                      "cannot resolve listen host '" + address.host + "': " +
                          (ec ? ec.message() : std::string("no address")));
  }
  return results.begin()->endpoint();
}

}  // namespace

Server::Server(std::vector<asio::io_context*> workers, ServerConfig config,
               GatewayServices services)
    : state_(std::make_shared<detail::ServerState>(std::move(workers), std::move(config),
                                                   std::move(services))) {}

Server::~Server() = default;

Status Server::start() {
  if (started_) return make_error(ErrorCode::Internal, "the server is already started");
  if (state_->workers.empty()) return make_error(ErrorCode::Internal, "no worker io_context");
  auto address = parse_listen_address(state_->config.listen);
  if (!address) return std::move(address).error();
  auto endpoint = resolve(*address);
  if (!endpoint) return std::move(endpoint).error();

  std::vector<detail::Worker*> workers;
  for (auto& worker : state_->workers) workers.push_back(worker.get());
  auto port = detail::open_acceptors(workers, *endpoint);
  if (!port) return std::move(port).error();
  port_ = *port;
  started_ = true;

  // Accept and sweep on every worker.
  for (auto& worker : state_->workers) {
    state_->retain();
    asio::co_spawn(worker->io, detail::accept_loop(state_, *worker), asio::detached);
    state_->retain();
    asio::co_spawn(worker->io, detail::sweep_loop(state_, *worker), asio::detached);
  }
  state_->services.log.info("listening", {{"address", state_->config.listen},
                                          {"port", port_},
                                          {"workers", state_->workers.size()}});
  return {};
}

uint16_t Server::port() const { return port_; }

void Server::shutdown(std::function<void()> done) {
  state_->draining.store(true);
  {
    std::lock_guard lock(state_->done_mutex);
    state_->done = std::move(done);
  }
  for (auto& worker : state_->workers) {
    if (!started_) break;
    asio::post(worker->io, [state = state_, w = worker.get()] { detail::start_drain(*state, *w); });
  }
  state_->finish_if_idle();
}

}  // namespace hearth::gateway
