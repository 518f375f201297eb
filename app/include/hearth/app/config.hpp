#pragma once
// Config: hearth.yaml as typed values, validated as a whole at start-up (DESIGN.md's core
// keys plus the limits this gateway needs). Secrets are resolved from the environment or
// files named in the file, never read from its text.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hearth/cache/cache_policy.hpp"
#include "hearth/cache/redis_url.hpp"
#include "hearth/core/log.hpp"
#include "hearth/core/result.hpp"
#include "hearth/core/yaml_fields.hpp"
#include "hearth/gateway/auth.hpp"
#include "hearth/gateway/config.hpp"
#include "hearth/router/circuit_breaker.hpp"
#include "hearth/router/retry_policy.hpp"
#include "hearth/router/route_table.hpp"
#include "hearth/upstream/upstream_config.hpp"

namespace hearth::app {

using yaml::EnvLookup;

struct UpstreamSpec {
  upstream::UpstreamConfig config;  // api_key resolved
  std::string unavailable_reason;   // non-empty: skipped and reported in /readyz
};

struct LocalModelSpec {
  std::string name;
  std::string path;
  int context = 0;  // 0: the model's own
  int slots = 1;
  std::string kv_type = "f16";     // f16 | q8_0 | f32
  std::string unavailable_reason;  // non-empty: left out and reported in /readyz
};

// The embedded inference node. The memory budget (weights + KV caches) is shared equally by
// its models.
struct LocalSpec {
  uint64_t memory_budget = 2ull << 30;
  Duration ttft_budget{2000};
  int threads = 0;                 // 0: one per core
  uint32_t prefill_chunk = 64;     // prompt tokens per engine step
  std::string backend = "auto";
  std::vector<LocalModelSpec> models;
};

// The response cache (issue 4). `options` holds ttl, max_entry_bytes, scope and the
// nondeterministic switch; `redis` is the parsed url with the password resolved.
struct CacheSpec {
  std::string backend = "memory";  // redis | memory | off
  cache::CacheOptions options;
  uint64_t memory_max_bytes = 128ull << 20;  // the in-process cache (backend memory)
  cache::RedisEndpoint redis;
  int timeout_ms = 20;
  int pool_size = 2;                         // Redis connections per worker
  Duration connect_timeout{1000};
  uint64_t l1_max_bytes = 0;                 // an in-process L1 in front of Redis; 0: none
  Duration l1_ttl{60'000};
};

// The egress audit log (policies/audit_log.hpp); empty path: cloud egress is not recorded.
struct AuditSpec {
  std::string path;
  std::string hmac_key_env;   // the HMAC key: an env var or a file, not both
  std::string hmac_key_file;
  bool include_content = false;
  uint64_t rotate_bytes = 0;  // 0: never by size
  bool rotate_daily = false;
};

struct LogSpec {
  LogLevel level = LogLevel::Info;
  std::string access_log = "stdout";  // stdout | stderr | off
};

struct Config {
  gateway::ServerConfig server;
  int workers = 0;  // 0: one per core
  bool auth_enabled = true;
  std::vector<gateway::ApiKey> api_keys;
  std::vector<std::string> warnings;  // start-up notes: skipped keys, unset variables
  std::vector<UpstreamSpec> upstreams;
  std::vector<router::ModelRoute> models;
  router::RetryPolicy retry;
  router::BreakerConfig breaker;
  CacheSpec cache;
  LocalSpec local;
  std::string policies_path;
  AuditSpec audit;
  LogSpec log;
};

// Loads and validates `path`. Errors read "FILE:LINE:COL: message".
Result<Config> load_config(const std::string& path, const EnvLookup& env);

// The same from text (tests); `path` only names the file in errors and relative paths.
Result<Config> parse_config(const std::string& text, const std::string& path, const EnvLookup& env);

}  // namespace hearth::app
