#pragma once
// When a background compute thread should step aside for a while. A thread at SCHED_IDLE
// still runs in every gap that normal threads leave, and is preempted at each of their
// wake-ups. With the gateway proxying at full speed on two cores, an engine serving 8 streams
// that way still cost the proxy a tenth of its requests/s (at times half), while it finished
// almost no step itself; stopped, it cost nothing (bench/README.md, "The engine steps
// aside"). So each background thread measures the share of the wall time it ran while inside
// a job. When others wanted its core for most of a window, it sleeps, longer each time in a
// row, and the other threads (or, once all sleep, nobody) take its work units. An engine
// that pauses measures low rates, and admission bursts what it cannot serve in time.

#include <cstdint>

namespace hearth::localnode {

struct PaceWindow {
  int64_t wall0_ns = 0;  // the window's start, on the wall clock
  int64_t cpu0_ns = 0;   // and on the thread's CPU clock
  int64_t pause_ns = 0;  // the last pause; 0 after a window with the core to itself
};

// Restarts the window (at a job's start and after a pause).
inline void restart(PaceWindow& w, int64_t wall_ns, int64_t cpu_ns) {
  w.wall0_ns = wall_ns;
  w.cpu0_ns = cpu_ns;
}

// How long the thread should sleep now, in ns (0: go on), given both clocks now. Decides
// once per window of kPaceWindowNs; cpu_ns is read only when that has passed
// (pace_due()), since the thread's CPU clock costs a system call.
inline constexpr int64_t kPaceWindowNs = 2'000'000;
inline constexpr int64_t kFirstPauseNs = 2'000'000;
inline constexpr int64_t kMaxPauseNs = 64'000'000;
inline bool pace_due(const PaceWindow& w, int64_t wall_ns) {
  return wall_ns - w.wall0_ns >= kPaceWindowNs;
}
int64_t pace(PaceWindow& w, int64_t wall_ns, int64_t cpu_ns);

}  // namespace hearth::localnode
