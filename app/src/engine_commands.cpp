#include "engine_commands.hpp"

#include "hearth/core/wire_object.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "hearth/localnode/chat_template.hpp"
#include "hearth/localnode/context.hpp"
#include "hearth/localnode/generate.hpp"
#include "hearth/localnode/model.hpp"
#include "hearth/localnode/sampler.hpp"
#include "hearth/localnode/tokenizer.hpp"

namespace hearth::app {
namespace {

namespace ln = hearth::localnode;

struct GenerateArgs {
  std::string model;
  std::string prompt;
  std::string chat;
  std::string system;
  int max_tokens = 128;
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int repeat_last_n = 64;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  std::vector<std::string> logit_bias;  // ID=BIAS
  std::vector<std::string> stop;
  uint64_t seed = 42;
  int threads = 0;
  std::string backend = "cpu";
  std::string kv_type = "f16";  // f16 | q8_0 | f32
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

// "ID=BIAS" (BIAS a number or -inf) into a logit bias entry.
Result<std::pair<int32_t, float>> parse_logit_bias(const std::string& s) {
  const size_t eq = s.find('=');
  char* end = nullptr;
  errno = 0;
  const long id = eq == std::string::npos ? -1 : std::strtol(s.c_str(), &end, 10);
  if (eq == std::string::npos || end != s.c_str() + eq || errno != 0 || id < 0 || id > INT32_MAX) {
    return make_error(ErrorCode::InvalidRequest, "--logit-bias '" + s + "': expected TOKEN_ID=BIAS");
  }
  const std::string value = s.substr(eq + 1);
  const float bias = std::strtof(value.c_str(), &end);
  if (value.empty() || *end != '\0' || std::isnan(bias)) {
    return make_error(ErrorCode::InvalidRequest, "--logit-bias '" + s + "': BIAS must be a number or -inf");
  }
  return std::make_pair(static_cast<int32_t>(id), bias);
}

int run_generate(const GenerateArgs& a) {
  const std::optional<ln::Backend> backend = ln::backend_from_name(a.backend);
  if (!backend) return fail("--backend must be cpu, vulkan or auto (not '" + a.backend + "')");
  if (a.max_tokens < 0) return fail("--max-tokens must not be negative");
  if (!(a.temperature >= 0.0f)) return fail("--temperature must be >= 0");
  ln::GenerateOptions opt;
  opt.max_tokens = a.max_tokens;
  opt.temperature = a.temperature;
  opt.top_k = a.top_k;
  opt.top_p = a.top_p;
  opt.min_p = a.min_p;
  opt.repeat_penalty = a.repeat_penalty;
  opt.penalty_last_n = a.repeat_last_n;
  opt.frequency_penalty = a.frequency_penalty;
  opt.presence_penalty = a.presence_penalty;
  opt.seed = a.seed;
  opt.stop = a.stop;
  for (const std::string& b : a.logit_bias) {
    auto bias = parse_logit_bias(b);
    if (!bias) return fail(bias.error().message);
    opt.logit_bias.push_back(*bias);
  }
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const ln::TensorType kv_type = ln::kv_type_from_name(a.kv_type).value_or(ln::TensorType::F16);  // CLI-checked

  // Load the model and its vocabulary.
  auto file = ln::GgufFile::open(a.model);
  if (!file) return fail(file.error().message);
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  if (!tokenizer) return fail(tokenizer.error().message);
  for (const std::string& w : tokenizer->warnings()) std::fprintf(stderr, "hearth: warning: %s\n", w.c_str());
  if (auto sampler = ln::Sampler::create(opt, tokenizer->n_vocab()); !sampler) return fail(sampler.error().message);
  const ln::ChatTemplate chat_template = ln::ChatTemplate::from_gguf(*file, *tokenizer);
  auto model = ln::Model::load(std::move(file).value());
  if (!model) return fail(model.error().message);

  // Tokenize the prompt, or the conversation rendered with the model's chat template.
  std::vector<int32_t> prompt;
  if (!a.chat.empty()) {
    if (!chat_template.warning().empty()) std::fprintf(stderr, "hearth: warning: %s\n", chat_template.warning().c_str());
    std::vector<ln::ChatTurn> conversation;
    if (!a.system.empty()) conversation.push_back({"system", a.system});
    conversation.push_back({"user", a.chat});
    auto rendered = chat_template.render(conversation, true);
    if (!rendered) return fail("chat template (" + std::string(ln::to_string(chat_template.format())) + "): " +
                               rendered.error().message);
    prompt = ln::encode_chat(*tokenizer, *rendered);
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
  const ln::ModelSummary summary = (*model)->summary(kv_type);
  if (!a.json) std::fprintf(stderr, "%s\n", describe(summary, n_ctx).c_str());

  // Generate.
  auto ctx = ln::InferenceContext::create(
      **model, {.n_ctx = n_ctx, .n_threads = threads, .kv_type = kv_type, .backend = *backend});
  if (!ctx) return fail(ctx.error().message);
  if (!a.json) {
    // Stream the text as it is generated.
    opt.on_text = [](std::string_view chunk) {
      std::fwrite(chunk.data(), 1, chunk.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
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
                                {"backend", (*ctx)->backend() == ln::Backend::Vulkan ? "vulkan" : "cpu"},
                                {"device", std::string((*ctx)->backend_name())},
                                {"top_logits", top},
                                {"finish_reason", ln::to_string(r->finish_reason)}};
    std::printf("%s\n", hearth::dump_json(out).c_str());
  } else {
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "prompt %zu tokens, %.1f tok/s; generated %zu tokens, %.1f tok/s (%s); %d threads, %s\n",
                 r->prompt_tokens.size(), r->prefill_tokens_per_s, r->tokens.size(), r->decode_tokens_per_s,
                 std::string(ln::to_string(r->finish_reason)).c_str(), threads,
                 std::string((*ctx)->backend_name()).c_str());
  }
  return 0;
}

int run_tokenize(const TokenizeArgs& a) {
  auto file = ln::GgufFile::open(a.model);
  if (!file) return fail(file.error().message);
  auto tokenizer = ln::Tokenizer::from_gguf(*file);
  if (!tokenizer) return fail(tokenizer.error().message);
  for (const std::string& w : tokenizer->warnings()) std::fprintf(stderr, "hearth: warning: %s\n", w.c_str());
  std::printf("%s\n", hearth::dump_json(nlohmann::json(tokenizer->encode(a.text, !a.no_bos, true))).c_str());
  return 0;
}

}  // namespace

void add_engine_commands(CLI::App& cli, int& exit_code) {
  auto gen_args = std::make_shared<GenerateArgs>();
  auto* gen = cli.add_subcommand(
      "generate",
      "One generation with the embedded engine: --model FILE (--prompt TEXT | --chat TEXT [--system TEXT]) "
      "[--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] "
      "[--repeat-last-n N] [--frequency-penalty F] [--presence-penalty P] [--logit-bias ID=BIAS]... [--stop TEXT]... "
      "[--seed S] [--threads N] [--kv-type f16|q8_0|f32] [--backend cpu|vulkan|auto] [--json]; `hearth generate --help` describes each.");
  gen->add_option("--model", gen_args->model, "The GGUF model file.")->required();
  auto* prompt = gen->add_option("--prompt", gen_args->prompt, "The prompt, as plain text.");
  auto* chat = gen->add_option("--chat", gen_args->chat, "One user message, rendered with the chat template.");
  prompt->excludes(chat);
  gen->add_option("--system", gen_args->system, "A system message before --chat (for templates that take one).")
      ->needs(chat);
  gen->add_option("--max-tokens", gen_args->max_tokens, "The most tokens to generate.")->capture_default_str();
  gen->add_option("--temperature", gen_args->temperature, "Sampling temperature; 0 is greedy.")->capture_default_str();
  gen->add_option("--top-k", gen_args->top_k, "Sample from the K most likely tokens; 0: all.")->capture_default_str();
  gen->add_option("--top-p", gen_args->top_p, "Sample from the most likely tokens whose probability mass reaches P; 1: all.")
      ->capture_default_str();
  gen->add_option("--min-p", gen_args->min_p, "Drop tokens less likely than P x the most likely one; 0: none.")
      ->capture_default_str();
  gen->add_option("--repeat-penalty", gen_args->repeat_penalty,
                  "Divide the logits of recently seen tokens by this (multiply negative ones); 1: off.")
      ->capture_default_str();
  gen->add_option("--repeat-last-n", gen_args->repeat_last_n,
                  "How many of the last tokens (prompt included) the penalties look at; -1: all; 0: penalties off.")
      ->capture_default_str();
  gen->add_option("--frequency-penalty", gen_args->frequency_penalty,
                  "Subtract this x the number of times a token was seen from its logit.")
      ->capture_default_str();
  gen->add_option("--presence-penalty", gen_args->presence_penalty, "Subtract this from the logit of every seen token.")
      ->capture_default_str();
  gen->add_option("--logit-bias", gen_args->logit_bias,
                  "TOKEN_ID=BIAS: add BIAS to that token's logit (-inf bans it). Repeatable.")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  gen->add_option("--stop", gen_args->stop,
                  "Stop before this text (it may span tokens; it is not printed). Repeatable.")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  gen->add_option("--seed", gen_args->seed, "The sampling seed: the same seed gives the same tokens.")->capture_default_str();
  gen->add_option("--threads", gen_args->threads, "CPU threads (default: all cores).");
  gen->add_option("--kv-type", gen_args->kv_type, "KV cache type: f16, q8_0 (about half of f16) or f32.")
      ->check(CLI::IsMember({"f16", "q8_0", "f32"}))
      ->capture_default_str();
  gen->add_option("--backend", gen_args->backend,
                  "cpu, vulkan (any Vulkan device, a CPU one such as lavapipe included) or auto "
                  "(a Vulkan GPU if there is one, else cpu).")
      ->check(CLI::IsMember({"cpu", "vulkan", "auto"}))
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
