#pragma once
// Which of a model's route candidates a verdict allows, and in what order: the router's
// view of route modes, kept here as a pure function so that `policy explain` and the router
// agree.

#include <string>
#include <vector>

#include "hearth/policies/policy.hpp"

namespace hearth::policies {

enum class Zone { Local, OnPrem, Cloud };

struct RouteCandidate {
  std::string target;  // "local" or an upstream name
  std::string model;
  Zone zone = Zone::Cloud;
};

// local_only: the embedded node only. on_prem_only: local and on-prem. prefer_local: local,
// then on-prem, then the allowed cloud upstreams (each group in configured order).
// cloud_allowed: configured order, cloud limited to the allowed upstreams. deny: none.
std::vector<RouteCandidate> allowed_candidates(const PolicyVerdict& verdict,
                                               const std::vector<RouteCandidate>& configured);

}  // namespace hearth::policies
