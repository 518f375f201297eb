// The policy fuzz target: any bytes as a policy file must load or be refused with problems,
// never crash or hang; a policy that loads must decide and redact any prompt (here, the same
// bytes) without crashing. Built with fuzz_main.cpp (corpus as a test), policy_mutations.cpp
// (seeded mutations as a test), or libFuzzer.

#include <cstddef>
#include <cstdint>
#include <string>

#include "hearth/policies/policy_input.hpp"
#include "hearth/policies/policy_loader.hpp"
#include "hearth/policies/redaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hearth;
  const char* begin = reinterpret_cast<const char*>(data);
  const std::string text(begin, begin + size);
  const policies::PolicyParse parsed = policies::parse_policy(text, "fuzz.yaml", {});
  if (!parsed.policy) {
    if (parsed.problems.empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  const ChatRequest request{
      .model = "m",
      .max_tokens = {},
      .body = Json{{"model", "m"}, {"messages", Json::array({Json{{"role", "user"}, {"content", text}}})}},
      .cache = {}};
  const auto input = policies::make_policy_input(request, "app", "team", {{"x-data-class", "restricted"}});
  auto verdict = policies::decide(*parsed.policy, input);
  if (verdict && !verdict->redact_classes.empty()) {
    (void)policies::redact_request(request, parsed.policy->detectors(), verdict->redact_classes);
  }
  return 0;
}
