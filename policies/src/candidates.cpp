#include "hearth/policies/candidates.hpp"

namespace hearth::policies {

std::vector<RouteCandidate> allowed_candidates(const PolicyVerdict& verdict,
                                               const std::vector<RouteCandidate>& configured) {
  std::vector<RouteCandidate> out;
  auto take = [&](Zone zone) {
    for (const RouteCandidate& c : configured) {
      if (c.zone != zone) continue;
      if (zone == Zone::Cloud && !verdict.allows_cloud_upstream(c.target)) continue;
      out.push_back(c);
    }
  };
  switch (verdict.route) {
    case RouteMode::Deny:
      break;
    case RouteMode::LocalOnly:
      take(Zone::Local);
      break;
    case RouteMode::OnPremOnly:
      for (const RouteCandidate& c : configured) {
        if (c.zone != Zone::Cloud) out.push_back(c);
      }
      break;
    case RouteMode::PreferLocal:
      take(Zone::Local);
      take(Zone::OnPrem);
      take(Zone::Cloud);
      break;
    case RouteMode::CloudAllowed:
      for (const RouteCandidate& c : configured) {
        if (c.zone != Zone::Cloud || verdict.allows_cloud_upstream(c.target)) out.push_back(c);
      }
      break;
  }
  return out;
}

}  // namespace hearth::policies
