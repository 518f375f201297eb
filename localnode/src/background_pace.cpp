#include "background_pace.hpp"

#include <algorithm>

namespace hearth::localnode {

int64_t pace(PaceWindow& w, int64_t wall_ns, int64_t cpu_ns) {
  const int64_t wall = wall_ns - w.wall0_ns;
  if (wall < kPaceWindowNs) return 0;
  const int64_t ran = cpu_ns - w.cpu0_ns;
  restart(w, wall_ns, cpu_ns);
  // Half the window or more on the core: nobody else wanted it much.
  if (2 * ran >= wall) {
    w.pause_ns = 0;
    return 0;
  }
  w.pause_ns = w.pause_ns == 0 ? kFirstPauseNs : std::min(2 * w.pause_ns, kMaxPauseNs);
  return w.pause_ns;
}

}  // namespace hearth::localnode
