#pragma once
// What the gateway needs from the rest of the process. Owned by the composition root; every
// referenced object outlives the Server, and each function is safe to call from any worker.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "hearth/core/chat.hpp"
#include "hearth/core/completion_source.hpp"
#include "hearth/core/log.hpp"
#include "hearth/core/metrics.hpp"
#include "hearth/gateway/auth.hpp"

namespace hearth::gateway {

struct ModelInfo {
  std::string id;
  std::string owned_by = "hearth";
  Json routes = nullptr;  // non-null: listed as "hearth_routes" (candidates and their state)
};

struct Readiness {
  bool ready = false;
  Json detail;  // rendered as the /readyz body
};

struct GatewayServices {
  std::function<CompletionSource&(size_t worker)> router;  // one router per worker thread
  const Authenticator& auth;
  std::function<std::vector<ModelInfo>()> models;
  std::function<Readiness()> readiness;
  MetricsRegistry& metrics;
  Logger& log;         // application log
  Logger& access_log;  // one JSON line per request
};

}  // namespace hearth::gateway
