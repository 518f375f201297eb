#pragma once
// What the config file says about one upstream, and the factory that turns it into a
// CompletionSource speaking that upstream's dialect.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hearth/core/completion_source.hpp"
#include "hearth/upstream/upstream_timeouts.hpp"

namespace hearth::upstream {

class HttpClient;

enum class Kind { OpenAi, Anthropic };
enum class Zone { OnPrem, Cloud };

struct UpstreamConfig {
  std::string name;
  Kind kind = Kind::OpenAi;
  std::string base_url;  // OpenAI: ".../v1"; Anthropic: "https://api.anthropic.com"
  std::string api_key;   // resolved secret; empty = none
  Zone zone = Zone::Cloud;
  UpstreamTimeouts timeouts;
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// A source for `config` sending through `client`, which must outlive it. Call complete()
// on the client's executor.
std::unique_ptr<CompletionSource> make_upstream(const UpstreamConfig& config, HttpClient& client);

}  // namespace hearth::upstream
