#pragma once
// Shared pieces of the cache integration tests: a gateway config with two apps, request
// bodies, and a reader for SSE bodies.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "fakes/http_test_client.hpp"
#include "hearth/core/metrics.hpp"
#include "hearth/core/yaml_fields.hpp"

namespace hearth::app::cache_test {

inline const std::string kDeterministic =
    R"({"model":"chat","messages":[{"role":"user","content":"what is 2+2?"}],"temperature":0})";
inline const std::string kDeterministicStream =
    R"({"model":"chat","messages":[{"role":"user","content":"what is 2+2?"}],"temperature":0,"stream":true})";
inline const std::string kDeterministicStreamUsage =
    R"({"model":"chat","messages":[{"role":"user","content":"what is 2+2?"}],"temperature":0,"stream":true,"stream_options":{"include_usage":true}})";
inline const std::string kSampled =
    R"({"model":"chat","messages":[{"role":"user","content":"a poem"}],"temperature":0.9})";

// Two apps (billing, support), one upstream, one model; `cache` is the cache section.
inline std::string gateway_config(const std::string& base_url, const std::string& cache) {
  return "server: {listen: 127.0.0.1:0, workers: 2, drain_timeout: 2s}\n"
         "auth:\n  enabled: true\n"
         "  keys: [{app: billing, team: finance, key_env: KEY_BILLING}, {app: support, team: ops, key_env: KEY_SUPPORT}]\n"
         "upstreams:\n"
         "  - {name: primary, kind: openai, base_url: '" + base_url + "', api_key_env: PRIMARY_KEY}\n"
         "models:\n"
         "  - {name: chat, routes: [primary:model-a]}\n"
         "router:\n  retry: {max_retries: 0}\n" + cache;
}

inline yaml::EnvLookup test_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (name == "KEY_BILLING") return "sk-billing";
    if (name == "KEY_SUPPORT") return "sk-support";
    if (name == "PRIMARY_KEY") return "sk-primary";
    return std::nullopt;
  };
}

inline testing::HttpReply post_chat(unsigned short port, const std::string& body, const std::string& key,
                                    std::map<std::string, std::string> headers = {}) {
  headers.emplace("authorization", "Bearer " + key);
  return testing::http_post_json(port, "/v1/chat/completions", body, headers);
}

// What an SSE body says, read the way a client reads it.
struct SseReading {
  std::string role;
  std::string text;
  std::string finish_reason;
  nlohmann::json tool_calls = nlohmann::json::array();  // [{id, name, arguments}] joined
  nlohmann::json usage;
  bool done = false;  // ended with [DONE]
  int events = 0;
};

inline SseReading parse_sse(const std::string& body) {
  SseReading out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) end = body.size();
    std::string event = body.substr(start, end - start);
    start = end + 2;
    if (event.rfind("data: ", 0) != 0) continue;
    std::string data = event.substr(6);
    if (data == "[DONE]") {
      out.done = true;
      continue;
    }
    ++out.events;
    auto chunk = nlohmann::json::parse(data);
    if (chunk.contains("usage") && !chunk["usage"].is_null()) out.usage = chunk["usage"];
    for (const auto& choice : chunk.value("choices", nlohmann::json::array())) {
      const auto& delta = choice["delta"];
      if (delta.contains("role")) out.role = delta["role"];
      if (delta.contains("content") && delta["content"].is_string()) out.text += delta["content"].get<std::string>();
      if (delta.contains("tool_calls")) {
        for (const auto& call : delta["tool_calls"]) {
          size_t index = call["index"];
          while (out.tool_calls.size() <= index) {
            out.tool_calls.push_back({{"id", ""}, {"name", ""}, {"arguments", ""}});
          }
          auto& into = out.tool_calls[index];
          if (call.contains("id")) into["id"] = call["id"];
          if (call.contains("function")) {
            const auto& function = call["function"];
            if (function.contains("name")) into["name"] = into["name"].get<std::string>() + function["name"].get<std::string>();
            if (function.contains("arguments")) {
              into["arguments"] = into["arguments"].get<std::string>() + function["arguments"].get<std::string>();
            }
          }
        }
      }
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) out.finish_reason = choice["finish_reason"];
    }
  }
  return out;
}

// Metrics are recorded just after the reply goes out: poll briefly.
inline bool metric_reaches(MetricsRegistry& metrics, std::string_view name, const Labels& labels, double value) {
  for (int i = 0; i < 200; ++i) {
    if (metrics.value(name, labels) == value) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace hearth::app::cache_test
