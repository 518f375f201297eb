#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hearth/app/config.hpp"
#include "hearth/localnode/context.hpp"

namespace hearth::app {
namespace {

using yaml::expect_map;
using yaml::expect_sequence;
using yaml::fail;
using yaml::get_bool;
using yaml::get_duration;
using yaml::get_int;
using yaml::get_size;
using yaml::get_string;
using yaml::Source;

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  return secret;
}

void read_server(const Source& src, const YAML::Node& node, Config& config) {
  expect_map(src, node, "server",
             {"listen", "workers", "max_body", "max_header", "header_timeout", "body_timeout",
              "idle_timeout", "max_connections", "request_deadline", "drain_timeout"});
  auto& limits = config.server.limits;
  if (auto n = node["listen"]) {
    config.server.listen = get_string(src, n, "server.listen");
    if (auto parsed = gateway::parse_listen_address(config.server.listen); !parsed) {
      fail(src, n, "server.listen: " + parsed.error().message);
    }
  }
  if (auto n = node["workers"]) config.workers = static_cast<int>(get_int(src, n, "server.workers", 0, 256));
  if (auto n = node["max_body"]) limits.max_body_bytes = get_size(src, n, "server.max_body");
  if (auto n = node["max_header"]) {
    limits.max_header_bytes = static_cast<uint32_t>(get_int(src, n, "server.max_header", 1024, 1 << 24));
  }
  if (auto n = node["header_timeout"]) limits.header_timeout = get_duration(src, n, "server.header_timeout");
  if (auto n = node["body_timeout"]) limits.body_timeout = get_duration(src, n, "server.body_timeout");
  if (auto n = node["idle_timeout"]) limits.idle_timeout = get_duration(src, n, "server.idle_timeout");
  if (auto n = node["max_connections"]) {
    limits.max_connections = static_cast<size_t>(get_int(src, n, "server.max_connections", 1, 1'000'000));
  }
  if (auto n = node["request_deadline"]) limits.request_deadline = get_duration(src, n, "server.request_deadline");
  if (auto n = node["drain_timeout"]) config.server.drain_timeout = get_duration(src, n, "server.drain_timeout");
}

void read_auth(const Source& src, const YAML::Node& node, Config& config) {
  expect_map(src, node, "auth", {"enabled", "keys"});
  if (auto n = node["enabled"]) config.auth_enabled = get_bool(src, n, "auth.enabled");
  auto keys = node["keys"];
  if (!keys) return;
  expect_sequence(src, keys, "auth.keys");
  for (const auto& key : keys) {
    expect_map(src, key, "auth.keys[]", {"app", "team", "key_env", "key_sha256"});
    if (!key["app"]) fail(src, key, "auth.keys[]: 'app' is required");
    gateway::ApiKey api_key;
    api_key.app = get_string(src, key["app"], "app");
    if (auto team = key["team"]) api_key.team = get_string(src, team, "team");
    if (key["key_env"] && key["key_sha256"]) fail(src, key, "give either key_env or key_sha256, not both");
    if (auto hex = key["key_sha256"]) {
      auto digest = gateway::parse_sha256_hex(get_string(src, hex, "key_sha256"));
      if (!digest) fail(src, hex, "key_sha256: " + digest.error().message);
      api_key.sha256 = *digest;
    } else if (auto env_name = key["key_env"]) {
      std::string name = get_string(src, env_name, "key_env");
      auto secret = src.env(name);
      if (!secret || secret->empty()) {
        config.warnings.push_back("auth key for app '" + api_key.app + "' skipped: " + name + " is not set");
        continue;
      }
      api_key.sha256 = gateway::sha256(*secret);
    } else {
      fail(src, key, "auth.keys[]: key_env or key_sha256 is required");
    }
    config.api_keys.push_back(std::move(api_key));
  }
}

void read_timeouts(const Source& src, const YAML::Node& node, upstream::UpstreamTimeouts& t) {
  expect_map(src, node, "timeouts", {"connect", "first_byte", "between_chunks", "total"});
  if (auto n = node["connect"]) t.connect = get_duration(src, n, "timeouts.connect");
  if (auto n = node["first_byte"]) t.first_byte = get_duration(src, n, "timeouts.first_byte");
  if (auto n = node["between_chunks"]) t.between_chunks = get_duration(src, n, "timeouts.between_chunks");
  if (auto n = node["total"]) t.total = get_duration(src, n, "timeouts.total");
}

UpstreamSpec read_upstream(const Source& src, const YAML::Node& node) {
  expect_map(src, node, "upstreams[]",
             {"name", "kind", "base_url", "api_key_env", "api_key_file", "zone", "timeouts", "headers"});
  for (const char* required : {"name", "kind", "base_url"}) {
    if (!node[required]) fail(src, node, std::string("upstreams[]: '") + required + "' is required");
  }
  UpstreamSpec spec;
  auto& c = spec.config;
  c.name = get_string(src, node["name"], "name");
  if (c.name.empty() || c.name == "local" || c.name.find(':') != std::string::npos) {
    fail(src, node["name"], "upstream name must be non-empty, not 'local', and contain no ':'");
  }
  std::string kind = get_string(src, node["kind"], "kind");
  if (kind == "openai") {
    c.kind = upstream::Kind::OpenAi;
  } else if (kind == "anthropic") {
    c.kind = upstream::Kind::Anthropic;
  } else {
    fail(src, node["kind"], "kind must be openai or anthropic, not '" + kind + "'");
  }
  c.base_url = get_string(src, node["base_url"], "base_url");
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    fail(src, node["base_url"], "base_url must start with http:// or https://");
  }
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  c.zone = upstream::Zone::Cloud;
  if (auto n = node["zone"]) {
    std::string zone = get_string(src, n, "zone");
    if (zone == "on_prem") {
      c.zone = upstream::Zone::OnPrem;
    } else if (zone != "cloud") {
      fail(src, n, "zone must be cloud or on_prem, not '" + zone + "'");
    }
  }
  if (node["api_key_env"] && node["api_key_file"]) fail(src, node, "give either api_key_env or api_key_file");
  if (auto n = node["api_key_env"]) {
    std::string name = get_string(src, n, "api_key_env");
    auto secret = src.env(name);
    if (secret && !secret->empty()) {
      c.api_key = *secret;
    } else {
      spec.unavailable_reason = name + " is not set";
    }
  }
  if (auto n = node["api_key_file"]) {
    std::string file = get_string(src, n, "api_key_file");
    c.api_key = read_secret_file(file);
    if (c.api_key.empty()) spec.unavailable_reason = "api_key_file " + file + " is missing or empty";
  }
  if (auto n = node["timeouts"]) read_timeouts(src, n, c.timeouts);
  if (auto headers = node["headers"]) {
    if (!headers.IsMap()) fail(src, headers, "headers must be a mapping of name: value");
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      c.extra_headers.emplace_back(it->first.Scalar(), get_string(src, it->second, "headers"));
    }
  }
  return spec;
}

void read_local(const Source& src, const YAML::Node& node, LocalSpec& local, Config& config) {
  expect_map(src, node, "local",
             {"memory_budget", "latency_budget", "threads", "backend", "prefill_chunk", "models"});
  if (auto n = node["memory_budget"]) local.memory_budget = get_size(src, n, "local.memory_budget");
  if (auto n = node["latency_budget"]) {
    expect_map(src, n, "local.latency_budget", {"ttft_ms"});
    if (auto t = n["ttft_ms"]) local.ttft_budget = Duration(get_int(src, t, "ttft_ms", 1, 3'600'000));
  }
  if (auto n = node["threads"]) local.threads = static_cast<int>(get_int(src, n, "local.threads", 0, 1024));
  if (auto n = node["prefill_chunk"]) {
    local.prefill_chunk = static_cast<uint32_t>(get_int(src, n, "local.prefill_chunk", 1, 448));
  }
  if (auto n = node["backend"]) {
    local.backend = get_string(src, n, "local.backend");
    if (local.backend != "auto" && local.backend != "cpu" && local.backend != "vulkan") {
      fail(src, n, "local.backend must be auto, cpu or vulkan");
    }
  }
  if (auto models = node["models"]) {
    expect_sequence(src, models, "local.models");
    for (const auto& m : models) {
      expect_map(src, m, "local.models[]", {"name", "path", "context", "slots", "kv_type"});
      if (!m["name"] || !m["path"]) fail(src, m, "local.models[]: 'name' and 'path' are required");
      LocalModelSpec model;
      model.name = get_string(src, m["name"], "name");
      model.path = get_string(src, m["path"], "path");
      if (auto n = m["context"]) model.context = static_cast<int>(get_int(src, n, "context", 0, 1 << 22));
      if (auto n = m["slots"]) model.slots = static_cast<int>(get_int(src, n, "slots", 1, 1024));
      if (auto n = m["kv_type"]) {
        model.kv_type = get_string(src, n, "kv_type");
        if (!localnode::kv_type_from_name(model.kv_type)) {
          fail(src, n, "kv_type must be f16, q8_0 or f32");
        }
      }
      // An empty path (an unset ${HEARTH_MODEL:-}) leaves the model out, and says so.
      if (model.path.empty()) {
        model.unavailable_reason = "no model file (path is empty; set HEARTH_MODEL)";
        config.warnings.push_back("local model '" + model.name + "' left out: " + model.unavailable_reason);
      } else if (!std::filesystem::exists(model.path)) {
        fail(src, m["path"], "local model file '" + model.path + "' does not exist");
      }
      local.models.push_back(std::move(model));
    }
  }
}

void read_cache_redis(const Source& src, const YAML::Node& node, Config& config) {
  CacheSpec& cache = config.cache;
  expect_map(src, node, "cache.redis",
             {"url", "password_env", "timeout_ms", "pool_size", "connect_timeout", "l1"});
  if (auto n = node["url"]) {
    auto endpoint = cache::parse_redis_url(get_string(src, n, "cache.redis.url"));
    if (!endpoint) fail(src, n, "cache.redis.url: " + endpoint.error().message);
    cache.redis = std::move(*endpoint);
  }
  if (auto n = node["password_env"]) {
    std::string name = get_string(src, n, "cache.redis.password_env");
    auto secret = src.env(name);
    if (secret && !secret->empty()) {
      cache.redis.password = *secret;
    } else {
      config.warnings.push_back("cache.redis.password_env: " + name + " is not set (connecting without a password)");
    }
  }
  if (auto n = node["timeout_ms"]) cache.timeout_ms = static_cast<int>(get_int(src, n, "timeout_ms", 1, 60'000));
  if (auto n = node["pool_size"]) cache.pool_size = static_cast<int>(get_int(src, n, "pool_size", 1, 64));
  if (auto n = node["connect_timeout"]) cache.connect_timeout = get_duration(src, n, "cache.redis.connect_timeout");
  if (auto l1 = node["l1"]) {
    expect_map(src, l1, "cache.redis.l1", {"max_bytes", "ttl"});
    cache.l1_max_bytes = 32ull << 20;
    if (auto n = l1["max_bytes"]) cache.l1_max_bytes = get_size(src, n, "cache.redis.l1.max_bytes");
    if (auto n = l1["ttl"]) cache.l1_ttl = get_duration(src, n, "cache.redis.l1.ttl");
  }
}

void read_cache(const Source& src, const YAML::Node& node, Config& config) {
  CacheSpec& cache = config.cache;
  expect_map(src, node, "cache",
             {"backend", "redis", "memory", "ttl", "max_entry_bytes", "scope", "nondeterministic"});
  if (auto n = node["backend"]) {
    cache.backend = get_string(src, n, "cache.backend");
    if (cache.backend != "redis" && cache.backend != "memory" && cache.backend != "off") {
      fail(src, n, "cache.backend must be redis, memory or off");
    }
  }
  if (auto redis = node["redis"]) read_cache_redis(src, redis, config);
  if (auto memory = node["memory"]) {
    expect_map(src, memory, "cache.memory", {"max_bytes"});
    if (auto n = memory["max_bytes"]) cache.memory_max_bytes = get_size(src, n, "cache.memory.max_bytes");
  }
  if (auto n = node["ttl"]) {
    cache.options.ttl = get_duration(src, n, "cache.ttl");
    if (cache.options.ttl <= Duration::zero()) fail(src, n, "cache.ttl must be positive");
  }
  if (auto n = node["max_entry_bytes"]) cache.options.max_entry_bytes = get_size(src, n, "cache.max_entry_bytes");
  if (auto n = node["scope"]) {
    std::string scope = get_string(src, n, "cache.scope");
    if (scope == "app") {
      cache.options.scope = cache::CacheScope::App;
    } else if (scope == "shared") {
      cache.options.scope = cache::CacheScope::Shared;
    } else {
      fail(src, n, "cache.scope must be app or shared");
    }
  }
  if (auto n = node["nondeterministic"]) cache.options.nondeterministic = get_bool(src, n, "cache.nondeterministic");
}

void read_router(const Source& src, const YAML::Node& node, Config& config) {
  expect_map(src, node, "router", {"retry", "circuit_breaker"});
  if (auto retry = node["retry"]) {
    expect_map(src, retry, "router.retry", {"max_retries", "base_delay", "max_delay"});
    if (auto n = retry["max_retries"]) config.retry.max_retries = static_cast<int>(get_int(src, n, "max_retries", 0, 10));
    if (auto n = retry["base_delay"]) config.retry.base_delay = get_duration(src, n, "base_delay");
    if (auto n = retry["max_delay"]) config.retry.max_delay = get_duration(src, n, "max_delay");
  }
  if (auto breaker = node["circuit_breaker"]) {
    expect_map(src, breaker, "router.circuit_breaker", {"failure_threshold", "open_for"});
    if (auto n = breaker["failure_threshold"]) {
      config.breaker.failure_threshold = static_cast<int>(get_int(src, n, "failure_threshold", 1, 1000));
    }
    if (auto n = breaker["open_for"]) config.breaker.open_for = get_duration(src, n, "open_for");
  }
}

void read_models(const Source& src, const YAML::Node& node, Config& config) {
  expect_sequence(src, node, "models");
  std::set<std::string> upstream_names;
  for (const auto& u : config.upstreams) upstream_names.insert(u.config.name);
  std::set<std::string> local_names;
  for (const auto& m : config.local.models) local_names.insert(m.name);
  std::set<std::string> seen;
  for (const auto& m : node) {
    expect_map(src, m, "models[]", {"name", "routes"});
    if (!m["name"] || !m["routes"]) fail(src, m, "models[]: 'name' and 'routes' are required");
    router::ModelRoute route;
    route.name = get_string(src, m["name"], "name");
    if (!seen.insert(route.name).second) fail(src, m["name"], "model '" + route.name + "' is defined twice");
    expect_sequence(src, m["routes"], "routes");
    for (const auto& r : m["routes"]) {
      auto candidate = router::parse_candidate(get_string(src, r, "route"));
      if (!candidate) fail(src, r, candidate.error().message);
      if (candidate->target == "local" ? !local_names.count(candidate->model)
                                       : !upstream_names.count(candidate->target)) {
        fail(src, r, candidate->target == "local"
                         ? "unknown local model '" + candidate->model + "' (see local.models)"
                         : "unknown upstream '" + candidate->target + "' (see upstreams)");
      }
      route.candidates.push_back(*candidate);
    }
    if (route.candidates.empty()) fail(src, m["routes"], "model '" + route.name + "' has no routes");
    config.models.push_back(std::move(route));
  }
}

void read_log(const Source& src, const YAML::Node& node, LogSpec& log) {
  expect_map(src, node, "log", {"level", "access_log"});
  if (auto n = node["level"]) {
    std::string level = get_string(src, n, "log.level");
    if (level == "debug") log.level = LogLevel::Debug;
    else if (level == "info") log.level = LogLevel::Info;
    else if (level == "warn") log.level = LogLevel::Warn;
    else if (level == "error") log.level = LogLevel::Error;
    else fail(src, n, "log.level must be debug, info, warn or error");
  }
  if (auto n = node["access_log"]) {
    log.access_log = get_string(src, n, "log.access_log");
    if (log.access_log != "stdout" && log.access_log != "stderr" && log.access_log != "off") {
      fail(src, n, "log.access_log must be stdout, stderr or off");
    }
  }
}

void read_config(const Source& src, const YAML::Node& root, Config& config) {
  if (!root || root.IsNull()) return;  // an empty file: every default
  expect_map(src, root, "the top level",
             {"server", "auth", "cache", "local", "upstreams", "models", "router", "policies",
              "audit", "log"});
  if (auto n = root["server"]) read_server(src, n, config);
  if (auto n = root["auth"]) read_auth(src, n, config);
  if (auto n = root["cache"]) read_cache(src, n, config);
  if (auto n = root["local"]) read_local(src, n, config.local, config);
  if (auto n = root["router"]) read_router(src, n, config);
  if (auto n = root["log"]) read_log(src, n, config.log);
  if (auto n = root["policies"]) config.policies_path = get_string(src, n, "policies");
  if (auto audit = root["audit"]) {
    expect_map(src, audit, "audit",
               {"path", "hmac_key_env", "hmac_key_file", "include_content", "rotate_bytes", "rotate_daily"});
    AuditSpec& spec = config.audit;
    if (auto n = audit["path"]) spec.path = get_string(src, n, "audit.path");
    if (auto n = audit["hmac_key_env"]) spec.hmac_key_env = get_string(src, n, "audit.hmac_key_env");
    if (auto n = audit["hmac_key_file"]) spec.hmac_key_file = get_string(src, n, "audit.hmac_key_file");
    if (audit["hmac_key_env"] && audit["hmac_key_file"]) {
      fail(src, audit["hmac_key_file"], "audit: name the HMAC key by hmac_key_env or hmac_key_file, not both");
    }
    if (auto n = audit["include_content"]) spec.include_content = get_bool(src, n, "audit.include_content");
    if (auto n = audit["rotate_bytes"]) spec.rotate_bytes = get_size(src, n, "audit.rotate_bytes");
    if (auto n = audit["rotate_daily"]) spec.rotate_daily = get_bool(src, n, "audit.rotate_daily");
    if (spec.path.empty()) fail(src, audit, "audit.path is required");
  }
  if (auto ups = root["upstreams"]) {
    expect_sequence(src, ups, "upstreams");
    std::set<std::string> names;
    for (const auto& u : ups) {
      UpstreamSpec spec = read_upstream(src, u);
      if (!names.insert(spec.config.name).second) {
        fail(src, u["name"], "upstream '" + spec.config.name + "' is defined twice");
      }
      if (!spec.unavailable_reason.empty()) {
        config.warnings.push_back("upstream '" + spec.config.name + "' skipped: " + spec.unavailable_reason);
      }
      config.upstreams.push_back(std::move(spec));
    }
  }
  if (auto n = root["models"]) read_models(src, n, config);
  const bool cloud = std::any_of(config.upstreams.begin(), config.upstreams.end(),
                                 [](const UpstreamSpec& u) { return u.config.zone == upstream::Zone::Cloud; });
  if (cloud && config.audit.path.empty()) {
    config.warnings.push_back("no audit log is configured (audit.path): egress to cloud upstreams is not recorded");
  }
  if (config.auth_enabled && config.api_keys.empty()) {
    config.warnings.push_back("auth is enabled but no API key is configured: every request gets 401");
  }
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& path, const EnvLookup& env) {
  auto root = yaml::parse(text, path);
  if (!root) return std::move(root).error();
  Config config;
  try {
    read_config(Source{path, env}, *root, config);
  } catch (const yaml::YamlError& e) {
    return make_error(ErrorCode::InvalidRequest, e.what());
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::InvalidRequest, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                                     std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return config;
}

Result<Config> load_config(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::InvalidRequest, path + ":1:1: cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, env);
}

}  // namespace hearth::app
