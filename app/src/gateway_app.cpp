#include "hearth/app/gateway_app.hpp"

#include "compliance.hpp"

#include <pthread.h>

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "hearth/cache/cache_step.hpp"
#include "hearth/cache/in_memory_cache.hpp"
#include "hearth/cache/redis_cache.hpp"
#include "hearth/cache/tiered_cache.hpp"
#include "hearth/gateway/server.hpp"
#include "hearth/localnode/local_model.hpp"
#include "hearth/localnode/local_source.hpp"
#include "hearth/router/router.hpp"
#include "hearth/upstream/http_client.hpp"

namespace hearth::app {
namespace asio = boost::asio;

namespace {

// One thread's world: its io_context, HTTP client, upstream sources, cache connections and
// router.
struct Worker {
  // Only this worker's thread runs `io` and touches its sockets and timers (other threads only
  // post to it), so the reactor needs no per-socket lock.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      asio::make_work_guard(io)};
  std::unique_ptr<upstream::HttpClient> http;
  std::vector<std::unique_ptr<CompletionSource>> sources;
  std::unique_ptr<cache::RedisCache> redis;     // cache.backend redis
  std::unique_ptr<cache::TieredCache> tiered;   // redis with an L1
  std::unique_ptr<cache::CacheStep> cache;      // null: cache.backend off
  std::unique_ptr<router::Router> router;
  std::thread thread;
};

std::string_view to_string(upstream::Zone zone) {
  return zone == upstream::Zone::Cloud ? "cloud" : "on_prem";
}

cache::RedisCacheConfig redis_config(const CacheSpec& spec) {
  cache::RedisCacheConfig config;
  config.endpoint = spec.redis;
  config.timeout = Duration(spec.timeout_ms);
  config.pool_size = spec.pool_size;
  config.connect_timeout = spec.connect_timeout;
  config.max_entry_bytes = spec.options.max_entry_bytes;
  return config;
}

// The embedded node's models; the memory budget is shared equally.
std::vector<std::unique_ptr<localnode::LocalModel>> make_local_models(const LocalSpec& spec, Logger& log,
                                                                      localnode::LocalMetrics& metrics) {
  std::vector<std::unique_ptr<localnode::LocalModel>> models;
  size_t usable = 0;
  for (const auto& m : spec.models) usable += m.unavailable_reason.empty() ? 1 : 0;
  const int threads = spec.threads > 0 ? spec.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& m : spec.models) {
    if (!m.unavailable_reason.empty()) continue;
    localnode::LocalModelOptions o;
    o.name = m.name;
    o.path = m.path;
    o.n_ctx = static_cast<uint32_t>(m.context);
    o.slots = static_cast<uint32_t>(m.slots);
    o.kv_type = localnode::kv_type_from_name(m.kv_type).value_or(localnode::TensorType::F16);  // config-checked
    o.threads = threads;
    o.backend = localnode::backend_from_name(spec.backend).value_or(localnode::Backend::Auto);  // config-checked
    o.memory_budget = spec.memory_budget / usable;
    o.ttft_budget = spec.ttft_budget;
    o.prefill_chunk = spec.prefill_chunk;
    models.push_back(std::make_unique<localnode::LocalModel>(std::move(o), log, metrics));
  }
  return models;
}

}  // namespace

struct GatewayApp::Parts {
  Parts(Config c, Logger& l, Logger& a)
      : config(std::move(c)),
        log(l),
        access_log(a),
        router_metrics(metrics),
        cache_metrics(metrics, l),
        local_metrics(metrics),
        routes(config.models),
        auth(config.auth_enabled, config.api_keys) {}

  gateway::Readiness readiness() const;
  std::vector<gateway::ModelInfo> model_list() const;

  Config config;
  Logger& log;
  Logger& access_log;
  SteadyClock clock;
  MetricsRegistry metrics;
  router::RouterMetrics router_metrics;
  cache::CacheMetrics cache_metrics;
  localnode::LocalMetrics local_metrics;
  // The embedded node, shared by the workers (declared before them: they point into it).
  std::vector<std::unique_ptr<localnode::LocalModel>> local_models;
  std::unique_ptr<localnode::LocalSource> local_source;
  std::unique_ptr<cache::InMemoryCache> memory_cache;  // the memory backend, or Redis' L1
  router::RouteTable routes;
  std::map<std::string, std::unique_ptr<router::CircuitBreaker>, std::less<>> breakers;
  gateway::Authenticator auth;
  std::unique_ptr<Compliance> compliance;  // null when it could not be built (start says why)
  std::optional<Error> startup_error;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<gateway::Server> server;

  std::mutex mutex;
  std::condition_variable drained_cv;
  bool drained = false;
  bool stopping = false;
  bool started = false;
};

gateway::Readiness GatewayApp::Parts::readiness() const {
  Json upstreams = Json::array();
  std::map<std::string, bool, std::less<>> usable;
  for (const auto& spec : config.upstreams) {
    const auto& name = spec.config.name;
    Json entry = {{"name", name}, {"zone", to_string(spec.config.zone)}};
    if (!spec.unavailable_reason.empty()) {
      entry["state"] = "unavailable";
      entry["reason"] = spec.unavailable_reason;
      usable[name] = false;
    } else {
      auto state = breakers.find(name)->second->state();
      entry["state"] = "available";
      entry["circuit_breaker"] = router::to_string(state);
      usable[name] = state != router::CircuitBreaker::State::Open;
    }
    upstreams.push_back(std::move(entry));
  }
  // Local models: routable once ready.
  Json local_states = Json::array();
  for (const auto& spec : config.local.models) {
    if (!spec.unavailable_reason.empty()) {
      local_states.push_back({{"name", spec.name}, {"state", "unavailable"}, {"reason", spec.unavailable_reason}});
    }
  }
  std::map<std::string, bool, std::less<>> local_ready;
  for (const auto& model : local_models) {
    local_states.push_back(model->describe());
    local_ready[model->name()] = model->state() == localnode::LocalModelState::Ready;
  }
  Json models = Json::array();
  bool any_routable = false;
  for (const auto& route : config.models) {
    bool routable = false;
    for (const auto& candidate : route.candidates) {
      if (candidate.target == "local") {
        auto it = local_ready.find(candidate.model);
        routable = routable || (it != local_ready.end() && it->second);
        continue;
      }
      auto it = usable.find(candidate.target);
      routable = routable || (it != usable.end() && it->second);
    }
    any_routable = any_routable || routable;
    models.push_back({{"name", route.name}, {"routable", routable}});
  }
  Json local = config.local.models.empty()
                   ? Json{{"state", "not configured"}}
                   : Json{{"memory_budget", config.local.memory_budget},
                          {"ttft_budget_ms", config.local.ttft_budget.count()},
                          {"models", std::move(local_states)}};
  // The cache never makes hearth unready: without it requests go to their routes.
  Json cache = {{"backend", config.cache.backend}};
  if (config.cache.backend == "redis") {
    cache["redis"] = config.cache.redis.describe();
    cache["connections"] = cache_metrics.connections();
    cache["state"] = cache_metrics.connections() > 0 ? "connected" : "unavailable (bypassed)";
  }
  Json detail = {{"status", any_routable ? "ready" : "not ready"},
                 {"upstreams", std::move(upstreams)},
                 {"models", std::move(models)},
                 {"local", std::move(local)},
                 {"cache", std::move(cache)}};
  if (compliance) detail.update(compliance->describe());
  if (!any_routable) {
    detail["reason"] = config.models.empty()
                           ? "no model is configured"
                           : "no model has an available route (missing keys or open breakers)";
  }
  return {any_routable, std::move(detail)};
}

// The public model names, each with its routes and their state (an extension field that
// OpenAI clients ignore).
std::vector<gateway::ModelInfo> GatewayApp::Parts::model_list() const {
  std::map<std::string, const localnode::LocalModel*, std::less<>> local;
  for (const auto& model : local_models) local.emplace(model->name(), model.get());
  std::vector<gateway::ModelInfo> list;
  for (const auto& route : config.models) {
    Json states = Json::array();
    for (const auto& candidate : route.candidates) {
      std::string state = "unavailable";
      if (candidate.target == "local") {
        auto it = local.find(candidate.model);
        if (it != local.end()) state = std::string(localnode::to_string(it->second->state()));
        states.push_back({{"route", "local:" + candidate.model}, {"state", state}});
        continue;
      }
      for (const auto& spec : config.upstreams) {
        if (spec.config.name == candidate.target && spec.unavailable_reason.empty()) state = "available";
      }
      states.push_back({{"route", candidate.label()}, {"state", state}});
    }
    list.push_back({route.name, "hearth", std::move(states)});
  }
  return list;
}

GatewayApp::GatewayApp(Config config, Logger& log, Logger& access_log)
    : parts_(std::make_unique<Parts>(std::move(config), log, access_log)) {
  auto& p = *parts_;
  // Policies and the audit log first: the routers point into them.
  if (auto compliance = Compliance::create(p.config)) {
    p.compliance = std::move(*compliance);
  } else {
    p.startup_error = std::move(compliance).error();
  }
  const router::Compliance compliance = p.compliance ? p.compliance->for_router() : router::Compliance{};

  for (const auto& spec : p.config.upstreams) {
    p.breakers[spec.config.name] = std::make_unique<router::CircuitBreaker>(p.config.breaker, p.clock);
    p.router_metrics.breaker_state(spec.config.name, router::CircuitBreaker::State::Closed);
  }

  // The embedded node: one source for every `local:<model>` candidate.
  p.local_models = make_local_models(p.config.local, p.log, p.local_metrics);
  if (!p.local_models.empty()) {
    std::map<std::string, localnode::LocalModel*, std::less<>> by_name;
    for (auto& model : p.local_models) by_name.emplace(model->name(), model.get());
    auto seeds = std::make_shared<std::mt19937_64>(std::random_device{}());
    auto seed_mutex = std::make_shared<std::mutex>();
    p.local_source = std::make_unique<localnode::LocalSource>(std::move(by_name), [seeds, seed_mutex] {
      std::lock_guard lock(*seed_mutex);
      return (*seeds)();
    });
    p.breakers["local"] = std::make_unique<router::CircuitBreaker>(p.config.breaker, p.clock);
  }

  // The response cache's in-process store, shared by the workers.
  const CacheSpec& cache_spec = p.config.cache;
  if (cache_spec.backend == "memory") {
    p.memory_cache = std::make_unique<cache::InMemoryCache>(cache_spec.memory_max_bytes, p.clock);
  } else if (cache_spec.backend == "redis" && cache_spec.l1_max_bytes > 0) {
    p.memory_cache = std::make_unique<cache::InMemoryCache>(cache_spec.l1_max_bytes, p.clock);
  }

  // Build one worker per thread: HTTP client, upstream sources, cache, router.
  int count = p.config.workers > 0 ? p.config.workers
                                   : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->http = std::make_unique<upstream::HttpClient>(worker->io.get_executor());
    std::map<std::string, router::Target, std::less<>> targets;
    for (const auto& spec : p.config.upstreams) {
      router::Target target;
      target.breaker = p.breakers[spec.config.name].get();
      target.zone = spec.config.zone == upstream::Zone::Cloud ? policies::Zone::Cloud : policies::Zone::OnPrem;
      if (spec.unavailable_reason.empty()) {
        worker->sources.push_back(upstream::make_upstream(spec.config, *worker->http));
        target.source = worker->sources.back().get();
      }
      targets.emplace(spec.config.name, target);
    }
    if (p.local_source) targets.emplace("local", router::Target{p.local_source.get(), p.breakers["local"].get(), policies::Zone::Local});
    cache::ResponseCache* backend = nullptr;
    if (cache_spec.backend == "memory") {
      backend = p.memory_cache.get();
    } else if (cache_spec.backend == "redis") {
      worker->redis = std::make_unique<cache::RedisCache>(worker->io.get_executor(),
                                                          redis_config(cache_spec), p.cache_metrics);
      backend = worker->redis.get();
      if (p.memory_cache) {
        worker->tiered = std::make_unique<cache::TieredCache>(*p.memory_cache, cache_spec.l1_ttl, *worker->redis);
        backend = worker->tiered.get();
      }
    }
    if (backend != nullptr) {
      worker->cache = std::make_unique<cache::CacheStep>(*backend, cache_spec.options, p.cache_metrics);
    }
    auto rng = std::make_shared<std::mt19937>(std::random_device{}());
    worker->router = std::make_unique<router::Router>(
        p.routes, std::move(targets), p.config.retry, p.clock, p.router_metrics,
        [rng] { return std::uniform_real_distribution<double>(0.0, 1.0)(*rng); }, worker->cache.get(),
        compliance);
    p.workers.push_back(std::move(worker));
  }

  std::vector<asio::io_context*> contexts;
  for (auto& worker : p.workers) contexts.push_back(&worker->io);
  gateway::GatewayServices services{
      .router = [&p](size_t i) -> CompletionSource& { return *p.workers.at(i)->router; },
      .auth = p.auth,
      .models = [&p] { return p.model_list(); },
      .readiness = [&p] { return p.readiness(); },
      .metrics = p.metrics,
      .log = p.log,
      .access_log = p.access_log,
  };
  p.server = std::make_unique<gateway::Server>(std::move(contexts), p.config.server, services);
}

GatewayApp::~GatewayApp() {
  if (!parts_->started) return;
  stop();
  wait();
}

Status GatewayApp::start() {
  auto& p = *parts_;
  if (p.startup_error) return *p.startup_error;
  if (Status status = p.server->start(); !status) return status;
  p.started = true;
  for (auto& worker : p.workers) {
    if (worker->redis) worker->redis->start();  // connects in the background
  }
  for (std::size_t i = 0; i < p.workers.size(); ++i) {
    p.workers[i]->thread =
        std::thread([w = p.workers[i].get(), name = "hearth-io-" + std::to_string(i)] {
          // Named for `top -H` and /proc/PID/task/*/comm: the I/O threads apart from the engine's.
          pthread_setname_np(pthread_self(), name.c_str());
          w->io.run();
        });
  }
  for (auto& model : p.local_models) model->start_loading();
  for (const auto& warning : p.config.warnings) p.log.warn("config", {{"message", warning}});
  for (const auto& warning : p.compliance->warnings()) p.log.warn("audit", {{"message", warning}});
  auto ready = p.readiness();
  p.log.info("started", {{"ready", ready.ready}, {"readiness", ready.detail}});
  return {};
}

uint16_t GatewayApp::port() const { return parts_->server->port(); }

MetricsRegistry& GatewayApp::metrics() { return parts_->metrics; }

Status GatewayApp::reload_policies() {
  auto& p = *parts_;
  if (!p.compliance) return make_error(ErrorCode::InvalidRequest, "the gateway has no policies");
  auto reloaded = p.compliance->reload();
  Json active = p.compliance->describe()["policy"];
  if (!reloaded) {
    p.log.error("policy_reload_rejected", {{"message", reloaded.error().message}, {"kept", std::move(active)}});
    return std::move(reloaded).error();
  }
  p.log.info("policy_reloaded", {{"policy", std::move(active)}});
  return {};
}

bool GatewayApp::policy_file_changed() { return parts_->compliance && parts_->compliance->policy_file_changed(); }

void GatewayApp::stop() {
  auto& p = *parts_;
  {
    std::lock_guard lock(p.mutex);
    if (p.stopping || !p.started) return;
    p.stopping = true;
  }
  p.log.info("draining", {{"drain_timeout_ms", p.config.server.drain_timeout.count()}});
  p.server->shutdown([&p] {
    std::lock_guard lock(p.mutex);
    p.drained = true;
    p.drained_cv.notify_all();
  });
}

void GatewayApp::wait() {
  auto& p = *parts_;
  {
    std::unique_lock lock(p.mutex);
    p.drained_cv.wait(lock, [&p] { return p.drained; });
  }
  // Every session is gone; the audit records they queued are written (a callback into a
  // worker must not outlive it). Then stop the workers (pending curl timers die with them).
  if (p.compliance) p.compliance->wait_for_audit();
  for (auto& worker : p.workers) {
    worker->guard.reset();
    worker->io.stop();
  }
  for (auto& worker : p.workers) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  // The engines next, while the workers' io_contexts they notify still exist.
  for (auto& model : p.local_models) model->stop();
  p.started = false;
  p.log.info("stopped");
}

int serve(const Config& config, Logger& log, Logger& access_log) {
  GatewayApp app(config, log, access_log);
  if (Status status = app.start(); !status) {
    log.error("start", {{"message", status.error().message}});
    // Also as plain lines: a policy file's problems read FILE:LINE:COL: message, one per line.
    std::fprintf(stderr, "%s\n", status.error().message.c_str());
    return 1;
  }
  // Stop on SIGINT/SIGTERM, reload the policy on SIGHUP or when its file changes; the
  // handlers run on this (the main) thread.
  asio::io_context control;
  asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer poll(control);
  bool stopping = false;
  std::function<void()> watch_policy = [&] {
    poll.expires_after(std::chrono::seconds(1));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      if (app.policy_file_changed()) (void)app.reload_policies();
      watch_policy();
    });
  };
  std::function<void()> on_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        log.info("signal", {{"signal", "SIGHUP"}});
        (void)app.reload_policies();
        on_signal();
        return;
      }
      log.info("signal", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
      stopping = true;
      poll.cancel();
      app.stop();
    });
  };
  on_signal();
  if (!config.policies_path.empty()) watch_policy();
  control.run();
  app.wait();
  return 0;
}

}  // namespace hearth::app
