#include "hearth/localnode/local_model.hpp"

#include <algorithm>

namespace hearth::localnode {
namespace {

std::string mib(uint64_t bytes) {
  return std::to_string((bytes + (1u << 19)) >> 20) + " MiB";
}

// Prompt tokens of the start-up calibration: long enough to take the GEMM path, short enough
// to cost little on a large model.
constexpr uint32_t kCalibrationTokens = 64;


}  // namespace

std::string_view to_string(LocalModelState state) {
  switch (state) {
    case LocalModelState::Loading:
      return "loading";
    case LocalModelState::Ready:
      return "ready";
    case LocalModelState::Failed:
      return "failed";
  }
  return "?";
}

LocalModel::LocalModel(LocalModelOptions options, Logger& log, LocalMetrics& metrics)
    : options_(std::move(options)), log_(log), metrics_(metrics) {}

LocalModel::~LocalModel() { stop(); }

void LocalModel::stop() {
  if (loader_.joinable()) loader_.join();
  // The engine thread may still report to update_gauges(): stop it while scheduler_ is set.
  if (scheduler_) scheduler_->stop();
}

void LocalModel::start_loading() {
  loader_ = std::thread([this] { (void)load(); });
}

Status LocalModel::load() {
  Status loaded = load_steps();
  if (!loaded) {
    fail(loaded.error().message);
    return loaded;
  }
  state_.store(LocalModelState::Ready);
  const ModelSummary summary = model_->summary(options_.kv_type);
  log_.info("local_model_ready",
            {{"model", options_.name},
             {"weights", mib(summary.weight_bytes)},
             {"slots", options_.slots},
             {"context", ctx_->n_ctx()},
             {"backend", std::string(ctx_->backend_name())},
             {"prefill_tokens_per_s", scheduler_->stats().prefill_tokens_per_s}});
  update_gauges();
  return {};
}

void LocalModel::fail(const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    failure_ = why;
  }
  state_.store(LocalModelState::Failed);
  log_.error("local_model_failed", {{"model", options_.name}, {"path", options_.path}, {"reason", why}});
}

Status LocalModel::load_steps() {
  // Map and parse the file; read the vocabulary and the chat template.
  log_.info("local_model_loading", {{"model", options_.name}, {"path", options_.path}});
  auto file = GgufFile::open(options_.path);
  if (!file) return std::move(file).error();
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer) return std::move(tokenizer).error();
  tokenizer_ = std::make_unique<Tokenizer>(std::move(tokenizer).value());
  for (const std::string& w : tokenizer_->warnings()) {
    log_.warn("local_model_tokenizer", {{"model", options_.name}, {"message", w}});
  }
  chat_template_ = std::make_unique<ChatTemplate>(ChatTemplate::from_gguf(*file, *tokenizer_));
  if (!chat_template_->warning().empty()) {
    log_.warn("local_model_chat_template", {{"model", options_.name}, {"message", chat_template_->warning()}});
  }
  auto model = Model::load(std::move(file).value());
  if (!model) return std::move(model).error();
  model_ = std::move(model).value();

  // The weights and one full context must fit the budget.
  const ModelConfig& c = model_->config();
  const uint32_t n_ctx = options_.n_ctx == 0 ? c.n_ctx_train : std::min(options_.n_ctx, c.n_ctx_train);
  const ModelSummary summary = model_->summary(options_.kv_type);
  weight_bytes_ = summary.weight_bytes;
  kv_bytes_per_token_ = summary.kv_bytes_per_token;
  const uint64_t minimum = summary.memory_bytes(n_ctx);
  if (minimum > options_.memory_budget) {
    return make_error(ErrorCode::InvalidRequest,
                      "the weights (" + mib(weight_bytes_) + ") and the KV cache of one " +
                          std::to_string(n_ctx) + "-token context (" +
                          mib(kv_bytes_per_token_ * n_ctx) + ") need " + mib(minimum) +
                          ", more than local.memory_budget (" + mib(options_.memory_budget) +
                          "): raise the budget, lower the context, or use kv_type q8_0");
  }

  // The Vulkan backend holds every slot's whole KV cache on the device from the start, and the
  // budget counts that device memory: `vulkan` is refused before anything is allocated when it
  // does not fit, `auto` runs on the CPU instead.
  Backend backend = options_.backend;
  const uint64_t all_slots_kv = kv_bytes_per_token_ * n_ctx * options_.slots;
  if (backend != Backend::Cpu && weight_bytes_ + all_slots_kv > options_.memory_budget) {
    if (backend == Backend::Vulkan) {
      return make_error(ErrorCode::InvalidRequest,
                        "on Vulkan the weights (" + mib(weight_bytes_) + ") and the KV caches of " +
                            std::to_string(options_.slots) + " slots x " + std::to_string(n_ctx) +
                            " tokens (" + mib(all_slots_kv) + ") exceed local.memory_budget (" +
                            mib(options_.memory_budget) +
                            "): raise the budget, or lower the slots or the context");
    }
    backend = Backend::Cpu;
  }

  // Read the weights in now, not on the first request, reporting progress.
  uint64_t done = 0, next_report = weight_bytes_ / 4;
  volatile uint8_t sink = 0;
  for (const GgufTensor& t : model_->file().tensors()) {
    for (uint64_t at = 0; at < t.n_bytes; at += 4096) sink = sink + t.data[at];
    done += t.n_bytes;
    progress_.store(weight_bytes_ > 0 ? std::min(1.0, static_cast<double>(done) / weight_bytes_) : 1.0);
    if (done >= next_report && weight_bytes_ >= (256u << 20)) {
      log_.info("local_model_progress", {{"model", options_.name}, {"percent", static_cast<int>(100 * progress_.load())}});
      next_report += weight_bytes_ / 4;
    }
  }

  // The engine, its calibration and its scheduler. The engine's threads run in the background,
  // so that proxying and the cache keep their latency while the node is busy: the engine gets
  // the CPU left over, and its measured rates (hence admission) follow.
  auto ctx = InferenceContext::create(*model_, {.n_ctx = n_ctx,
                                                .n_seq = options_.slots,
                                                .n_threads = std::max(1, options_.threads),
                                                .kv_type = options_.kv_type,
                                                .background = true,
                                                .backend = backend});
  if (!ctx) return std::move(ctx).error();
  ctx_ = std::move(ctx).value();
  auto rate = calibrate_prefill(*ctx_, 0, std::min(kCalibrationTokens, n_ctx));
  if (!rate) return std::move(rate).error();
  SchedulerObserver observer{
      [this](const Admission& a) {
        metrics_.admission(options_.name, a.verdict);
        update_gauges();
      },
      [this](Duration ttft, Duration projected) { metrics_.first_token(options_.name, ttft, projected); },
      [this] { update_gauges(); }};
  scheduler_ = std::make_unique<Scheduler>(
      *ctx_, *tokenizer_,
      SchedulerOptions{.kv_budget_bytes = options_.memory_budget - weight_bytes_,
                       .ttft_budget = options_.ttft_budget,
                       .prefill_chunk = options_.prefill_chunk,
                       .prefill_tokens_per_s = *rate,
                       .background = true},
      std::move(observer));
  return {};
}

nlohmann::json LocalModel::describe() const {
  nlohmann::json d = {{"name", options_.name}, {"state", std::string(to_string(state()))}};
  switch (state()) {
    case LocalModelState::Loading:
      d["progress"] = progress_.load();
      break;
    case LocalModelState::Failed: {
      std::lock_guard lock(mutex_);
      d["reason"] = failure_;
      break;
    }
    case LocalModelState::Ready: {
      const SchedulerStats s = scheduler_->stats();
      d["backend"] = std::string(ctx_->backend_name());  // where it runs: "avx512", "vulkan: …"
      d["context"] = ctx_->n_ctx();
      d["slots"] = s.slots;
      d["busy_slots"] = s.busy_slots;
      d["queued"] = s.queued;
      d["weight_bytes"] = weight_bytes_;
      d["kv_bytes_used"] = s.kv_reserved_bytes;
      d["kv_bytes_budget"] = s.kv_budget_bytes;
      d["prefill_tokens_per_s"] = s.prefill_tokens_per_s;
      d["decode_tokens_per_s"] = s.decode_tokens_per_s;
      break;
    }
  }
  return d;
}

void LocalModel::update_gauges() const {
  if (state() == LocalModelState::Ready) metrics_.load(options_.name, scheduler_->stats());
}

}  // namespace hearth::localnode
