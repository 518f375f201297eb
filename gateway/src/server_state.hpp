#pragma once
// ServerState: what the Server's workers share. Kept alive by every accept loop, sweeper and
// session (shared_ptr), so it outlives the Server object while connections drain.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "gateway_metrics.hpp"
#include "hearth/gateway/config.hpp"
#include "hearth/gateway/services.hpp"
#include "worker.hpp"

namespace hearth::gateway::detail {

struct ServerState {
  ServerState(std::vector<boost::asio::io_context*> contexts, ServerConfig server_config,
              GatewayServices gateway_services);

  // Counts a task (accept loop, sweeper, session) that shutdown's `done` waits for.
  void retain() { live.fetch_add(1); }
  // Ends one; the last one while draining runs `done`.
  void release();
  // Runs `done` if nothing is left.
  void finish_if_idle();

  ServerConfig config;
  GatewayServices services;
  GatewayMetrics metrics;
  std::vector<std::unique_ptr<Worker>> workers;
  Duration sweep_interval;
  Duration linger_time;
  int64_t created_unix_seconds;

  std::atomic<size_t> connections{0};
  std::atomic<bool> draining{false};
  std::atomic<size_t> live{0};
  std::mutex done_mutex;
  std::function<void()> done;
};

}  // namespace hearth::gateway::detail
