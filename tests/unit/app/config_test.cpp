#include "hearth/app/config.hpp"

#include <map>

#include <gtest/gtest.h>

namespace hearth::app {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* kFull = R"(server:
  listen: 127.0.0.1:9090
  max_body: 1MiB
  header_timeout: 2s
auth:
  enabled: true
  keys:
    - {app: billing, team: finance, key_env: HEARTH_KEY_BILLING}
    - {app: ops, key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}
upstreams:
  - {name: openai, kind: openai, base_url: "https://api.openai.com/v1/", api_key_env: OPENAI_API_KEY}
  - {name: claude, kind: anthropic, base_url: "https://api.anthropic.com", api_key_env: ANTHROPIC_API_KEY}
  - name: lab
    kind: openai
    base_url: "http://${LAB_HOST:-127.0.0.1}:8000/v1"
    zone: on_prem
    timeouts: {connect: 1s, first_byte: 5s}
models:
  - name: default
    routes: [lab:llama3:8b, openai:gpt-4o-mini, claude:claude-3-5-haiku-latest]
router:
  retry: {max_retries: 3, base_delay: 50ms}
  circuit_breaker: {failure_threshold: 2, open_for: 10s}
)";

TEST(LoadConfig, ReadsEverySectionAndResolvesSecrets) {
  auto config = parse_config(kFull, "hearth.yaml",
                             env_of({{"HEARTH_KEY_BILLING", "sk-billing"}, {"OPENAI_API_KEY", "sk-oa"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.listen, "127.0.0.1:9090");
  EXPECT_EQ(config->server.limits.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->server.limits.header_timeout, Duration(2000));
  ASSERT_EQ(config->api_keys.size(), 2u);
  EXPECT_EQ(config->api_keys[0].sha256, gateway::sha256("sk-billing"));
  EXPECT_EQ(config->api_keys[1].sha256, gateway::sha256("test"));
  ASSERT_EQ(config->upstreams.size(), 3u);
  EXPECT_EQ(config->upstreams[0].config.base_url, "https://api.openai.com/v1");
  EXPECT_EQ(config->upstreams[0].config.api_key, "sk-oa");
  EXPECT_TRUE(config->upstreams[0].unavailable_reason.empty());
  EXPECT_EQ(config->upstreams[1].unavailable_reason, "ANTHROPIC_API_KEY is not set");
  EXPECT_EQ(config->upstreams[2].config.base_url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(config->upstreams[2].config.zone, upstream::Zone::OnPrem);
  EXPECT_EQ(config->upstreams[2].config.timeouts.first_byte, Duration(5000));
  ASSERT_EQ(config->models.size(), 1u);
  EXPECT_EQ(config->models[0].candidates[0], (router::Candidate{"lab", "llama3:8b"}));
  EXPECT_EQ(config->retry.max_retries, 3);
  EXPECT_EQ(config->breaker.open_for, Duration(10'000));
  EXPECT_FALSE(config->warnings.empty()) << "the skipped upstream is reported";
}

TEST(LoadConfig, AuditSectionIsReadAndChecked) {
  auto config = parse_config(
      "audit: {path: a.jsonl, hmac_key_env: K, include_content: true, rotate_bytes: 1MiB, rotate_daily: true}\n",
      "c.yaml", env_of({}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->audit.path, "a.jsonl");
  EXPECT_EQ(config->audit.hmac_key_env, "K");
  EXPECT_TRUE(config->audit.include_content);
  EXPECT_EQ(config->audit.rotate_bytes, 1u << 20);
  EXPECT_TRUE(config->audit.rotate_daily);

  auto both = parse_config("audit: {path: a.jsonl, hmac_key_env: K, hmac_key_file: k.txt}\n", "c.yaml", env_of({}));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("c.yaml:1:"), std::string::npos) << both.error().message;
  auto no_path = parse_config("audit: {include_content: true}\n", "c.yaml", env_of({}));
  ASSERT_FALSE(no_path.ok());
  EXPECT_NE(no_path.error().message.find("audit.path is required"), std::string::npos);
  EXPECT_FALSE(parse_config("audit: {path: a, rotate: 1}\n", "c.yaml", env_of({})).ok()) << "unknown key";
}

TEST(LoadConfig, CloudUpstreamsWithoutAnAuditLogAreReported) {
  auto config = parse_config("upstreams:\n  - {name: o, kind: openai, base_url: 'http://x/v1'}\n", "c.yaml", env_of({}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  int unaudited = 0;
  for (const auto& warning : config->warnings) unaudited += warning.find("not recorded") != std::string::npos;
  EXPECT_EQ(unaudited, 1);
  EXPECT_FALSE(parse_config("cache: {backend: memcached}\n", "c.yaml", env_of({})).ok());
}

TEST(LoadConfig, EmptyFileMeansDefaults) {
  auto config = parse_config("", "empty.yaml", env_of({}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->server.listen, "127.0.0.1:8080");
  EXPECT_TRUE(config->auth_enabled);
}

struct BadCase {
  const char* text;
  const char* expected;  // the whole first part of the message: FILE:LINE:COL: ...
};

TEST(LoadConfig, ErrorsPointAtFileLineAndColumn) {
  const BadCase cases[] = {
      {"server:\n  listen: 127.0.0.1:8080\n  lisen: x\n", "c.yaml:3:3: unknown key 'lisen' in server"},
      {"servers: {}\n", "c.yaml:1:1: unknown key 'servers' in the top level"},
      {"server:\n  header_timeout: 10 seconds\n", "c.yaml:2:19: server.header_timeout: invalid duration"},
      {"server:\n  max_body: lots\n", "c.yaml:2:13: server.max_body: invalid size"},
      {"auth: {enabled: maybe}\n", "c.yaml:1:17: auth.enabled must be true or false"},
      {"upstreams:\n  - {name: a, kind: grpc, base_url: 'http://x'}\n",
       "c.yaml:2:21: kind must be openai or anthropic"},
      {"upstreams:\n  - {name: a, kind: openai, base_url: 'ftp://x'}\n",
       "c.yaml:2:39: base_url must start with http:// or https://"},
      {"upstreams:\n  - {name: a, kind: openai}\n", "c.yaml:2:5: upstreams[]: 'base_url' is required"},
      {"models:\n  - {name: m, routes: [nowhere:x]}\n", "c.yaml:2:24: unknown upstream 'nowhere'"},
      {"models:\n  - {name: m, routes: [local:tiny]}\n", "c.yaml:2:24: unknown local model 'tiny'"},
      {"models:\n  - {name: m, routes: [justaname]}\n", "c.yaml:2:24: route 'justaname' must be"},
      {"server:\n  listen: ${NOPE}\n", "c.yaml:2:11: environment variable NOPE is not set"},
      {"server: [1, 2\n", "c.yaml:2:1: "},
      {"auth:\n  keys:\n    - {app: a, key_sha256: abc}\n", "c.yaml:3:28: key_sha256: "},
      {"local:\n  models: [{name: t, path: /nonexistent.gguf}]\n",
       "c.yaml:2:28: local model file '/nonexistent.gguf' does not exist"},
      {"local:\n  models: [{name: t, path: x, kv_type: q4_0}]\n", "c.yaml:2:40: kv_type must be f16, q8_0 or f32"},
      {"local:\n  prefill_chunk: 1000\n", "c.yaml:2:18: local.prefill_chunk"},
      {"local:\n  models: [{name: t, path: x, slots: 0}]\n", "c.yaml:2:38: slots"},
  };
  for (const auto& c : cases) {
    auto config = parse_config(c.text, "c.yaml", env_of({}));
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.error().message.rfind(c.expected, 0), 0u)
        << "text:\n" << c.text << "got: " << config.error().message;
  }
}

TEST(LoadConfig, LocalModelsWithoutAFileAreLeftOutWithAWarning) {
  auto config = parse_config(
      "local:\n  prefill_chunk: 32\n  models: [{name: t, path: '${M:-}'}]\nmodels:\n  - {name: m, routes: [local:t]}\n",
      "c.yaml", env_of({}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->local.prefill_chunk, 32u);
  ASSERT_EQ(config->local.models.size(), 1u);
  EXPECT_NE(config->local.models[0].unavailable_reason.find("HEARTH_MODEL"), std::string::npos);
  int left_out = 0;
  for (const auto& warning : config->warnings) left_out += warning.find("local model 't' left out") != std::string::npos;
  EXPECT_EQ(left_out, 1);
}

TEST(LoadConfig, LocalBackendIsAutoCpuOrVulkan) {
  // Any existing file will do as the model's path: the config does not open it.
  for (const char* backend : {"auto", "cpu", "vulkan"}) {
    auto config = parse_config(std::string("local:\n  backend: ") + backend +
                                   "\n  models: [{name: t, path: config/hearth.yaml}]\n",
                               "c.yaml", env_of({}));
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->local.backend, backend);
    EXPECT_TRUE(config->local.models[0].unavailable_reason.empty());
  }
  auto bad = parse_config("local:\n  backend: cuda\n", "c.yaml", env_of({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "c.yaml:2:12: local.backend must be auto, cpu or vulkan");
}

TEST(LoadConfig, MissingFileIsAClearError) {
  auto config = load_config("/nonexistent/hearth.yaml", env_of({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "/nonexistent/hearth.yaml:1:1: cannot open the file");
}

TEST(LoadConfig, ShippedConfigLoads) {
  auto config = load_config("config/hearth.yaml", env_of({}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->models.empty());
}

}  // namespace
}  // namespace hearth::app
