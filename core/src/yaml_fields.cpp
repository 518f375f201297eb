#include "hearth/core/yaml_fields.hpp"

#include <charconv>
#include <cstdlib>

#include "hearth/core/units.hpp"

namespace hearth::yaml {
namespace {

std::string location(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path + ":1:1";
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

const std::string& scalar_text(const Source& source, const YAML::Node& node,
                               std::string_view what) {
  if (!node.IsScalar()) fail(source, node, std::string(what) + " must be a single value");
  return node.Scalar();
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<YAML::Node> parse(const std::string& text, const std::string& path) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorCode::InvalidRequest, location(path, e.mark) + ": " + e.msg);
  }
}

void fail(const Source& source, const YAML::Node& at, const std::string& message) {
  throw YamlError(location(source.path, at.Mark()) + ": " + message);
}

void expect_map(const Source& source, const YAML::Node& node, std::string_view what,
                std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) fail(source, node, std::string(what) + " must be a mapping");
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string& key = it->first.Scalar();
    bool known = false;
    for (auto name : allowed) known = known || key == name;
    if (known) continue;
    std::string expected;
    for (auto name : allowed) expected += (expected.empty() ? "" : ", ") + std::string(name);
    fail(source, it->first,
         "unknown key '" + key + "' in " + std::string(what) + " (expected one of: " + expected + ")");
  }
}

void expect_sequence(const Source& source, const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence()) fail(source, node, std::string(what) + " must be a list");
}

Result<std::string> substitute_env(std::string_view text, const EnvLookup& env) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find("${", pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find('}', start);
    if (end == std::string_view::npos) {
      return make_error(ErrorCode::InvalidRequest, "unterminated ${ in '" + std::string(text) + "'");
    }
    out.append(text.substr(pos, start - pos));
    std::string_view inner = text.substr(start + 2, end - start - 2);
    std::optional<std::string> fallback;
    if (auto dash = inner.find(":-"); dash != std::string_view::npos) {
      fallback = std::string(inner.substr(dash + 2));
      inner = inner.substr(0, dash);
    }
    std::optional<std::string> value = env(std::string(inner));
    if (!value || (value->empty() && fallback)) value = fallback;
    if (!value) {
      return make_error(ErrorCode::InvalidRequest,
                        "environment variable " + std::string(inner) +
                            " is not set (write ${" + std::string(inner) + ":-default} for a default)");
    }
    out += *value;
    pos = end + 1;
  }
  out.append(text.substr(pos));
  return out;
}

std::string get_string(const Source& source, const YAML::Node& node, std::string_view what) {
  auto value = substitute_env(scalar_text(source, node, what), source.env);
  if (!value) fail(source, node, value.error().message);
  return std::move(value).value();
}

bool get_bool(const Source& source, const YAML::Node& node, std::string_view what) {
  std::string text = get_string(source, node, what);
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail(source, node, std::string(what) + " must be true or false, not '" + text + "'");
}

int64_t get_int(const Source& source, const YAML::Node& node, std::string_view what,
                int64_t min, int64_t max) {
  std::string text = get_string(source, node, what);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    fail(source, node, std::string(what) + " must be a whole number, not '" + text + "'");
  }
  if (value < min || value > max) {
    fail(source, node, std::string(what) + " must be between " + std::to_string(min) + " and " +
                           std::to_string(max));
  }
  return value;
}

Duration get_duration(const Source& source, const YAML::Node& node, std::string_view what) {
  auto value = parse_duration(get_string(source, node, what));
  if (!value) fail(source, node, std::string(what) + ": " + value.error().message);
  return *value;
}

uint64_t get_size(const Source& source, const YAML::Node& node, std::string_view what) {
  auto value = parse_size(get_string(source, node, what));
  if (!value) fail(source, node, std::string(what) + ": " + value.error().message);
  return *value;
}

}  // namespace hearth::yaml
