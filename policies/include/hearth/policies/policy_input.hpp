#pragma once
// What a policy decision reads from one request: identity, headers, the prompt texts and
// its shape. Built from a ChatRequest by make_policy_input; decide() scans and evaluates.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/chat.hpp"
#include "hearth/core/result.hpp"
#include "hearth/policies/policy.hpp"

namespace hearth::policies {

struct PolicyInput {
  std::string app;
  std::string team;
  std::string model;
  std::map<std::string, std::string> headers;  // names lower-cased by make_policy_input
  std::vector<std::string_view> texts;         // views into the request: it must outlive this
  bool has_tools = false;
  bool has_images = false;
  int64_t prompt_tokens = 0;
};

// A cheap prompt-size estimate: one token per 4 bytes, rounded up (close to BPE tokenizers
// on English; over-counts code and under-counts CJK). Good for "is this prompt large".
int64_t estimate_tokens(size_t bytes);

// The input for `request`: every text a model would read (message contents as strings or
// text parts, assistant tool-call arguments, the legacy `prompt`), tools and images flags,
// and the token estimate. `request` must outlive the result (texts view into it).
PolicyInput make_policy_input(const ChatRequest& request, std::string app, std::string team,
                              const std::map<std::string, std::string>& headers);

// Scans the texts with the policy's detectors and evaluates its rules. A scan error is
// returned (callers fail closed: no egress on an unknown content).
[[nodiscard]] Result<PolicyVerdict> decide(const Policy& policy, const PolicyInput& input);

}  // namespace hearth::policies
