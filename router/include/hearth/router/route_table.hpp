#pragma once
// RouteTable: the public model names apps ask for, each mapped to ordered candidates
// `upstream:model` (DESIGN.md `models:`). Immutable after construction; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "hearth/core/result.hpp"

namespace hearth::router {

struct Candidate {
  std::string target;  // an upstream name, or "local" for the embedded node
  std::string model;   // the model name that target knows

  std::string label() const { return target + ":" + model; }
  friend bool operator==(const Candidate&, const Candidate&) = default;
};

// Splits "openai:gpt-4o-mini" at the first ':' (model names such as "llama3:8b" keep theirs).
Result<Candidate> parse_candidate(std::string_view text);

struct ModelRoute {
  std::string name;
  std::vector<Candidate> candidates;
};

class RouteTable {
 public:
  explicit RouteTable(std::vector<ModelRoute> routes) : routes_(std::move(routes)) {}

  // The route for a public model name, or null when there is none.
  const ModelRoute* find(std::string_view name) const;
  const std::vector<ModelRoute>& routes() const { return routes_; }

 private:
  std::vector<ModelRoute> routes_;
};

}  // namespace hearth::router
