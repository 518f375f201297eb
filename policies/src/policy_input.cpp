#include "hearth/policies/policy_input.hpp"

#include <algorithm>
#include <cctype>

namespace hearth::policies {
namespace {

bool is_image_part(const std::string& type) {
  return type == "image_url" || type == "input_image" || type == "image";
}

void add_string(const Json& value, std::vector<std::string_view>& texts) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (!s.empty()) texts.emplace_back(s);
  }
}

// The texts of one message content (a string or content parts) and whether it has images.
void add_content(const Json& content, PolicyInput& input) {
  if (content.is_string()) {
    add_string(content, input.texts);
    return;
  }
  if (!content.is_array()) return;
  for (const Json& part : content) {
    if (!part.is_object()) continue;
    auto type = part.find("type");
    if (type == part.end() || !type->is_string()) continue;
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "text" || t == "input_text") {
      if (auto text = part.find("text"); text != part.end()) add_string(*text, input.texts);
    } else if (is_image_part(t)) {
      input.has_images = true;
    }
  }
}

bool non_empty_array(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_array() && !it->empty();
}

}  // namespace

int64_t estimate_tokens(size_t bytes) { return static_cast<int64_t>((bytes + 3) / 4); }

PolicyInput make_policy_input(const ChatRequest& request, std::string app, std::string team,
                              const std::map<std::string, std::string>& headers) {
  PolicyInput input;
  input.app = std::move(app);
  input.team = std::move(team);
  input.model = request.model;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    input.headers[lower] = value;
  }

  const Json& body = request.body.json();
  for (const ChatMessage& message : chat_messages(body)) {
    add_content(message.content, input);
    if (message.role == "tool") input.has_tools = true;
  }
  if (body.is_object()) {
    // Tool-call arguments an assistant wrote are read by the model too.
    if (auto messages = body.find("messages"); messages != body.end() && messages->is_array()) {
      for (const Json& m : *messages) {
        if (!m.is_object()) continue;
        auto calls = m.find("tool_calls");
        if (calls == m.end() || !calls->is_array()) continue;
        input.has_tools = input.has_tools || !calls->empty();
        for (const Json& call : *calls) {
          if (!call.is_object()) continue;
          auto function = call.find("function");
          if (function == call.end() || !function->is_object()) continue;
          if (auto args = function->find("arguments"); args != function->end()) add_string(*args, input.texts);
        }
      }
    }
    if (auto prompt = body.find("prompt"); prompt != body.end()) {
      if (prompt->is_array()) {
        for (const Json& p : *prompt) add_string(p, input.texts);
      } else {
        add_string(*prompt, input.texts);
      }
    }
    input.has_tools = input.has_tools || non_empty_array(body, "tools") || non_empty_array(body, "functions");
  }

  size_t bytes = 0;
  for (std::string_view t : input.texts) bytes += t.size();
  input.prompt_tokens = estimate_tokens(bytes);
  return input;
}

Result<PolicyVerdict> decide(const Policy& policy, const PolicyInput& input) {
  RequestFacts facts;
  facts.app = input.app;
  facts.team = input.team;
  facts.model = input.model;
  facts.headers = input.headers;
  facts.prompt_tokens = input.prompt_tokens;
  facts.has_tools = input.has_tools;
  facts.has_images = input.has_images;

  // Classify the content.
  std::map<std::string, int> counts;
  for (std::string_view text : input.texts) {
    auto findings = policy.detectors().scan(text);
    if (!findings) return std::move(findings).error();
    for (const Finding& f : *findings) ++counts[f.cls];
  }
  for (const auto& [cls, n] : counts) facts.classes.push_back(cls);  // std::map: sorted, unique

  // Evaluate the rules.
  PolicyVerdict verdict = evaluate_rules(policy.rules(), facts);
  verdict.detected_counts = std::move(counts);
  verdict.policy_hash = policy.hash();
  return verdict;
}

}  // namespace hearth::policies
