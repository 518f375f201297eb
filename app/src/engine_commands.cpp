#include "engine_commands.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::app {
namespace {

namespace ln = hearth::localnode;

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::string chat;
  int max_tokens = 128;
  float temperature = 0.8f;
  uint64_t seed = 42;
  int threads = 0;
  std::string backend = "cpu";
  bool json = false;
};

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool no_bos = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth: %s\n", message.c_str());
  return 1;
}

std::string dump(const nlohmann::json& j) {
  // Generated text may end inside a UTF-8 character: replace, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string describe(const ln::ModelSummary& s, uint32_t n_ctx) {
  std::string types;
  for (const auto& [name, count] : s.tensor_types) types += (types.empty() ? "" : ", ") + name + " x" + std::to_string(count);
  char line[512];
  std::snprintf(line, sizeof line,
                "model: %s%s%s, %.2fM parameters (%s), context %u; memory %.1f MiB weights + %.1f KiB KV per token "
                "= %.1f MiB at %u tokens",
                s.architecture.c_str(), s.name.empty() ? "" : " ", s.name.c_str(), static_cast<double>(s.n_params) / 1e6,
                types.c_str(), s.context_length, static_cast<double>(s.weight_bytes) / (1 << 20),
                static_cast<double>(s.kv_bytes_per_token) / 1024, static_cast<double>(s.memory_bytes(n_ctx)) / (1 << 20),
                n_ctx);
  return line;
}

// ChatML, the fallback DESIGN.md names for models without a recognised chat template.
std::string render_chatml(const std::string& user) {
  return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
}

int run_generate(const GenerateArgs& a) {
  if (a.backend != "cpu") return fail("backend '" + a.backend + "' is not available in this build (use --backend cpu)");
  if (a.max_tokens < 0) return fail("--max-tokens must not be negative");
  if (!(a.temperature >= 0.0f)) return fail("--temperature must be >= 0");
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Load the model and its vocabulary.
  auto file = ln::GgufFile::open(a.model);
  if (!file) return fail(file.error().message);
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  if (!tokenizer) return fail(tokenizer.error().message);
  auto model = ln::Model::load(std::move(file).value());
  if (!model) return fail(model.error().message);

  // Tokenize the prompt (or the one-message conversation).
  std::vector<int32_t> prompt;
  if (!a.chat.empty()) {
    std::fprintf(stderr, "hearth: warning: chat templates are not supported yet; rendering --chat as ChatML\n");
    prompt = tokenizer->encode(render_chatml(a.chat), true, true);
  } else {
    prompt = tokenizer->encode(a.prompt, true, false);
  }
  if (prompt.empty()) return fail("the prompt has no tokens");
  const ln::ModelConfig& cfg = (*model)->config();
  if (prompt.size() > cfg.n_ctx_train) {
    return fail("the prompt has " + std::to_string(prompt.size()) + " tokens; the model's context is " +
                std::to_string(cfg.n_ctx_train));
  }
  const auto n_ctx = static_cast<uint32_t>(
      std::min<size_t>(cfg.n_ctx_train, prompt.size() + static_cast<size_t>(a.max_tokens)));
  const ln::ModelSummary summary = (*model)->summary(2);
  if (!a.json) std::fprintf(stderr, "%s\n", describe(summary, n_ctx).c_str());

  // Generate.
  auto ctx = ln::InferenceContext::create(**model, {.n_ctx = n_ctx, .n_threads = threads, .kv_type = ln::TensorType::F16});
  if (!ctx) return fail(ctx.error().message);
  ln::GenerateOptions opt;
  opt.max_tokens = a.max_tokens;
  opt.temperature = a.temperature;
  opt.seed = a.seed;
  auto r = ln::generate(**ctx, *tokenizer, prompt, opt);
  if (!r) return fail(r.error().message);

  if (a.json) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& t : r->top_logits) top.push_back({t.id, t.logit});
    const nlohmann::json out = {{"prompt_tokens", r->prompt_tokens},
                                {"tokens", r->tokens},
                                {"text", r->text},
                                {"prefill_tokens_per_s", r->prefill_tokens_per_s},
                                {"decode_tokens_per_s", r->decode_tokens_per_s},
                                {"backend", "cpu"},
                                {"top_logits", top}};
    std::printf("%s\n", dump(out).c_str());
  } else {
    std::printf("%s\n", r->text.c_str());
    std::fprintf(stderr, "prompt %zu tokens, %.1f tok/s; generated %zu tokens, %.1f tok/s; %d threads, cpu\n",
                 r->prompt_tokens.size(), r->prefill_tokens_per_s, r->tokens.size(), r->decode_tokens_per_s, threads);
  }
  return 0;
}

int run_tokenize(const TokenizeArgs& a) {
  auto file = ln::GgufFile::open(a.model);
  if (!file) return fail(file.error().message);
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  if (!tokenizer) return fail(tokenizer.error().message);
  std::printf("%s\n", dump(nlohmann::json(tokenizer->encode(a.text, !a.no_bos, true))).c_str());
  return 0;
}

}  // namespace

void add_engine_commands(CLI::App& cli, int& exit_code) {
  auto gen_args = std::make_shared<GenerateArgs>();
  auto* gen = cli.add_subcommand("generate", "One generation with the embedded engine.");
  gen->add_option("--model", gen_args->model, "The GGUF model file.")->required();
  auto* prompt = gen->add_option("--prompt", gen_args->prompt, "The prompt, as plain text.");
  auto* chat = gen->add_option("--chat", gen_args->chat, "One user message, rendered with the chat template.");
  prompt->excludes(chat);
  gen->add_option("--max-tokens", gen_args->max_tokens, "The most tokens to generate.")->capture_default_str();
  gen->add_option("--temperature", gen_args->temperature, "Sampling temperature; 0 is greedy.")->capture_default_str();
  gen->add_option("--seed", gen_args->seed, "The sampling seed.")->capture_default_str();
  gen->add_option("--threads", gen_args->threads, "CPU threads (default: all cores).");
  gen->add_option("--backend", gen_args->backend, "cpu or vulkan.")
      ->check(CLI::IsMember({"cpu", "vulkan"}))
      ->capture_default_str();
  gen->add_flag("--json", gen_args->json,
                "Print one JSON object: prompt_tokens, tokens, text, prefill_tokens_per_s, decode_tokens_per_s, "
                "backend, top_logits.");
  gen->callback([gen_args, prompt, chat, &exit_code] {
    if (prompt->count() == 0 && chat->count() == 0) {
      exit_code = fail("generate: one of --prompt or --chat is required");
      return;
    }
    exit_code = run_generate(*gen_args);
  });

  auto tok_args = std::make_shared<TokenizeArgs>();
  auto* tok = cli.add_subcommand("tokenize", "Print the token ids of a text as a JSON array.");
  tok->add_option("--model", tok_args->model, "The GGUF model (or vocabulary) file.")->required();
  tok->add_option("--text", tok_args->text, "The text to tokenize.")->required();
  tok->add_flag("--no-bos", tok_args->no_bos, "Do not add the beginning-of-sequence token.");
  tok->callback([tok_args, &exit_code] { exit_code = run_tokenize(*tok_args); });
}

}  // namespace hearth::app
