#pragma once
// Reading hand-written YAML (config, policies) with errors that point at the text:
// "FILE:LINE:COL: message". The readers throw YamlError inside a loader; the loader's
// public entry point catches it and returns a Result (no exception crosses a module).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "hearth/core/clock.hpp"
#include "hearth/core/result.hpp"

namespace hearth::yaml {

// Reads an environment variable; nullopt when unset. Injected so tests need no real env.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

class YamlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Source {
  std::string path;  // for messages
  EnvLookup env;     // for ${VAR} and ${VAR:-default} in scalars
};

// Parses text; a syntax error becomes "FILE:LINE:COL: message".
Result<YAML::Node> parse(const std::string& text, const std::string& path);

[[noreturn]] void fail(const Source& source, const YAML::Node& at, const std::string& message);

// `node` must be a map whose keys are all in `allowed`; else an error at the first stranger.
void expect_map(const Source& source, const YAML::Node& node, std::string_view what,
                std::initializer_list<std::string_view> allowed);
void expect_sequence(const Source& source, const YAML::Node& node, std::string_view what);

// Scalars, with ${VAR} substituted. `what` names the field in messages.
std::string get_string(const Source& source, const YAML::Node& node, std::string_view what);
bool get_bool(const Source& source, const YAML::Node& node, std::string_view what);
int64_t get_int(const Source& source, const YAML::Node& node, std::string_view what,
                int64_t min, int64_t max);
Duration get_duration(const Source& source, const YAML::Node& node, std::string_view what);
uint64_t get_size(const Source& source, const YAML::Node& node, std::string_view what);

// Replaces ${VAR} and ${VAR:-default}; an unset variable without a default is an error.
Result<std::string> substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace hearth::yaml
