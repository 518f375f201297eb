#include "hearth/policies/redaction.hpp"

#include <algorithm>
#include <cctype>

#include "hearth/core/wire_object.hpp"
#include "hearth/policies/policy_input.hpp"

namespace hearth::policies {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Redacts one JSON string in place, then scans the result again: a redacted class still
// found there means redaction failed, and nothing may be sent.
Result<void> redact_json_string(Json& value, const DetectorSet& detectors, const std::vector<std::string>& classes,
                                RedactionMap& map, const std::vector<std::string_view>& avoid) {
  if (!value.is_string()) return {};
  const std::string& original = value.get_ref<const std::string&>();
  auto findings = detectors.scan(original);
  if (!findings) return std::move(findings).error();
  std::string redacted = redact_text(original, *findings, classes, map, avoid);
  auto again = detectors.scan(redacted);
  if (!again) return std::move(again).error();
  for (const Finding& f : *again) {
    if (contains(classes, f.cls)) {
      return make_error(ErrorCode::Internal, "redaction left a " + f.cls + " finding in place; nothing is sent");
    }
  }
  value = std::move(redacted);
  return {};
}

Result<void> redact_content(Json& content, const DetectorSet& detectors, const std::vector<std::string>& classes,
                            RedactionMap& map, const std::vector<std::string_view>& avoid) {
  if (content.is_string()) return redact_json_string(content, detectors, classes, map, avoid);
  if (!content.is_array()) return {};
  for (Json& part : content) {
    if (!part.is_object()) continue;
    auto type = part.find("type");
    if (type == part.end() || !type->is_string()) continue;
    if (*type != "text" && *type != "input_text") continue;
    if (auto text = part.find("text"); text != part.end()) {
      if (auto r = redact_json_string(*text, detectors, classes, map, avoid); !r) return r;
    }
  }
  return {};
}

}  // namespace

std::string make_placeholder(std::string_view cls, int n) {
  std::string out = "[";
  for (char c : cls) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out + "_" + std::to_string(n) + "]";
}

const std::string& RedactionMap::placeholder_for(const std::string& cls, const std::string& original,
                                                 const std::vector<std::string_view>& avoid) {
  const std::string key = cls + '\0' + original;
  if (auto it = placeholders_.find(key); it != placeholders_.end()) {
    ++counts_[cls];
    return it->second;
  }
  // Skip numbers whose placeholder the client already wrote, so restoring cannot touch it.
  int& next = next_[cls];
  std::string placeholder;
  do {
    placeholder = make_placeholder(cls, ++next);
  } while (std::any_of(avoid.begin(), avoid.end(),
                       [&](std::string_view t) { return t.find(placeholder) != std::string_view::npos; }));
  ++counts_[cls];
  longest_ = std::max(longest_, placeholder.size());
  originals_[placeholder] = original;
  return placeholders_.emplace(key, std::move(placeholder)).first->second;
}

std::string redact_text(std::string_view text, const std::vector<Finding>& findings,
                        const std::vector<std::string>& classes, RedactionMap& map,
                        const std::vector<std::string_view>& avoid) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  for (const Finding& f : findings) {
    if (!contains(classes, f.cls) || f.begin < at) continue;
    out.append(text.substr(at, f.begin - at));
    out += map.placeholder_for(f.cls, f.text, avoid);
    at = f.end;
  }
  out.append(text.substr(at));
  return out;
}

Result<RedactedRequest> redact_request(const ChatRequest& request, const DetectorSet& detectors,
                                       const std::vector<std::string>& classes) {
  RedactedRequest out{request, {}};
  if (classes.empty()) return out;
  const PolicyInput original = make_policy_input(request, {}, {}, {});
  const std::vector<std::string_view>& avoid = original.texts;

  // Redact the body (the bytes sent): message contents, tool-call arguments, a legacy prompt.
  // Edited on a copy: with nothing replaced, the body keeps the client's bytes, which may
  // still travel as they came.
  Json body = out.request.body.json();
  if (body.is_object()) {
    if (auto messages = body.find("messages"); messages != body.end() && messages->is_array()) {
      for (Json& m : *messages) {
        if (!m.is_object()) continue;
        if (auto content = m.find("content"); content != m.end()) {
          if (auto r = redact_content(*content, detectors, classes, out.map, avoid); !r) return std::move(r).error();
        }
        auto calls = m.find("tool_calls");
        if (calls == m.end() || !calls->is_array()) continue;
        for (Json& call : *calls) {
          if (!call.is_object()) continue;
          auto function = call.find("function");
          if (function == call.end() || !function->is_object()) continue;
          if (auto args = function->find("arguments"); args != function->end()) {
            if (auto r = redact_json_string(*args, detectors, classes, out.map, avoid); !r) return std::move(r).error();
          }
        }
      }
    }
    if (auto prompt = body.find("prompt"); prompt != body.end()) {
      if (prompt->is_array()) {
        for (Json& p : *prompt) {
          if (auto r = redact_json_string(p, detectors, classes, out.map, avoid); !r) return std::move(r).error();
        }
      } else if (auto r = redact_json_string(*prompt, detectors, classes, out.map, avoid); !r) {
        return std::move(r).error();
      }
    }
  }

  // The client's bytes hold the originals: they must never be forwarded now.
  if (!out.map.empty()) out.request.body.edit() = std::move(body);
  return out;
}

Restorer::Restorer(const RedactionMap& map, bool inside_json_string) : longest_(map.longest_placeholder()) {
  for (const auto& [placeholder, original] : map.originals()) {
    if (!inside_json_string) {
      originals_.emplace(placeholder, original);
      continue;
    }
    const std::string quoted = dump_json(Json(original));  // "…" with JSON escapes
    originals_.emplace(placeholder, quoted.substr(1, quoted.size() - 2));
  }
}

std::string Restorer::restore_complete(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('[', at);
    if (open == std::string_view::npos) break;
    const size_t close = text.find(']', open);
    if (close == std::string_view::npos) break;
    auto it = originals_.find(text.substr(open, close - open + 1));
    if (it == originals_.end()) {
      out.append(text.substr(at, open + 1 - at));
      at = open + 1;
      continue;
    }
    out.append(text.substr(at, open - at));
    out += it->second;
    at = close + 1;
  }
  out.append(text.substr(at));
  return out;
}

std::string Restorer::feed(std::string_view chunk) {
  if (originals_.empty()) return std::string(chunk);
  pending_.append(chunk);
  // Only the text from the last '[' can still become a placeholder; hold it back when some
  // placeholder starts with it.
  size_t keep = pending_.size();
  const size_t open = pending_.rfind('[');
  if (open != std::string::npos && pending_.size() - open < longest_) {
    const std::string_view tail = std::string_view(pending_).substr(open);
    auto it = originals_.lower_bound(tail);
    if (it != originals_.end() && it->first.compare(0, tail.size(), tail) == 0) keep = open;
  }
  std::string out = restore_complete(std::string_view(pending_).substr(0, keep));
  pending_.erase(0, keep);
  return out;
}

std::string Restorer::finish() {
  std::string out = restore_complete(pending_);
  pending_.clear();
  return out;
}

}  // namespace hearth::policies
