#pragma once
// One model the gateway serves from the embedded engine: loads it in the background
// (mapping, vocabulary, chat template, the budget check, reading the weights in with progress,
// a short prefill calibration) and then serves it through its Scheduler. Its state — loading
// (with progress), ready, or failed and why — is what /readyz and /v1/models report.
// Thread-safe; the scheduler is there once state() is Ready and lives as long as this.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "hearth/core/clock.hpp"
#include "hearth/core/log.hpp"
#include "hearth/core/result.hpp"
#include "hearth/localnode/chat_template.hpp"
#include "hearth/localnode/context.hpp"
#include "hearth/localnode/local_metrics.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/scheduler.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::localnode {

struct LocalModelOptions {
  std::string name;
  std::string path;
  uint32_t n_ctx = 0;  // per sequence; 0: the model's trained context
  uint32_t slots = 1;
  TensorType kv_type = TensorType::F16;
  int threads = 1;
  Backend backend = Backend::Cpu;
  uint64_t memory_budget = 0;  // weights + KV caches
  Duration ttft_budget{0};     // 0: none
  uint32_t prefill_chunk = 64;
};

enum class LocalModelState { Loading, Ready, Failed };
std::string_view to_string(LocalModelState state);

class LocalModel {
 public:
  LocalModel(LocalModelOptions options, Logger& log, LocalMetrics& metrics);
  ~LocalModel();  // waits for a load in progress, then stops the scheduler
  LocalModel(const LocalModel&) = delete;
  LocalModel& operator=(const LocalModel&) = delete;

  // Loads on a thread of its own; state() says how it goes.
  void start_loading();
  // Waits for a load in progress and stops the engine: generations still running fail, and
  // their consumers' notifications are posted now, while the consumers' executors exist.
  void stop();
  // Loads on this thread (tests); the error is also what state() reports.
  [[nodiscard]] Status load();

  const std::string& name() const { return options_.name; }
  LocalModelState state() const { return state_.load(); }
  // Null until Ready.
  Scheduler* scheduler() { return state() == LocalModelState::Ready ? scheduler_.get() : nullptr; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const ChatTemplate& chat_template() const { return *chat_template_; }
  // The state for /readyz: name, state, progress or why it failed, and once ready the sizes
  // and the scheduler's load.
  nlohmann::json describe() const;
  // Refreshes this model's gauges from the scheduler.
  void update_gauges() const;

 private:
  [[nodiscard]] Status load_steps();
  void fail(const std::string& why);

  LocalModelOptions options_;
  Logger& log_;
  LocalMetrics& metrics_;
  std::atomic<LocalModelState> state_{LocalModelState::Loading};
  std::atomic<double> progress_{0.0};
  mutable std::mutex mutex_;  // guards failure_
  std::string failure_;
  uint64_t weight_bytes_ = 0;
  uint64_t kv_bytes_per_token_ = 0;

  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> chat_template_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<InferenceContext> ctx_;
  std::unique_ptr<Scheduler> scheduler_;
  std::thread loader_;
};

}  // namespace hearth::localnode
