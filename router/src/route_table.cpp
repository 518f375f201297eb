#include "hearth/router/route_table.hpp"

namespace hearth::router {

Result<Candidate> parse_candidate(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return make_error(ErrorCode::InvalidRequest,
                      "route '" + std::string(text) + "' must be 'upstream:model' or 'local:model'");
  }
  return Candidate{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

const ModelRoute* RouteTable::find(std::string_view name) const {
  for (const auto& route : routes_) {
    if (route.name == name) return &route;
  }
  return nullptr;
}

}  // namespace hearth::router
