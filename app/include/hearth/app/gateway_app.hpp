#pragma once
// GatewayApp: the composition root of `hearth serve`. Builds every object from the Config —
// worker threads with their own io_context, HTTP client, upstream sources and router; the
// shared breakers, metrics and authenticator; the gateway server — and runs them until
// stop(). Owned by main (or a test); start/run/stop from one thread, stop also from any.

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "hearth/app/config.hpp"
#include "hearth/core/log.hpp"
#include "hearth/core/metrics.hpp"
#include "hearth/core/result.hpp"

namespace hearth::app {

class GatewayApp {
 public:
  GatewayApp(Config config, Logger& log, Logger& access_log);
  ~GatewayApp();
  GatewayApp(const GatewayApp&) = delete;
  GatewayApp& operator=(const GatewayApp&) = delete;

  // Binds the listener and starts the worker threads. Errors: the policy file is invalid,
  // the audit log cannot be opened, the address is bad or taken.
  Status start();
  uint16_t port() const;

  // Begins a graceful stop: no new connections, in-flight requests drain (up to the drain
  // timeout). Safe from any thread and from a signal-handling coroutine; idempotent.
  void stop();

  // Blocks until stop() has finished draining and every worker has exited.
  void wait();

  MetricsRegistry& metrics();

  // Loads the policy file again (SIGHUP, or the file changed). An invalid file is rejected
  // with every problem logged and the old policy stays; requests in flight finish under the
  // policy they started with. Safe from any thread.
  Status reload_policies();
  // Whether the policy file changed since it was last loaded (polled by `hearth serve`).
  bool policy_file_changed();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Runs `hearth serve`: start, stop on SIGINT/SIGTERM, drain, return the exit code.
int serve(const Config& config, Logger& log, Logger& access_log);

}  // namespace hearth::app
