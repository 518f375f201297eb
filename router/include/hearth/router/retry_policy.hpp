#pragma once
// What to do after an attempt failed: retry the same upstream after a delay, fail over to
// the next candidate, or give up. A pure decision, table-tested; the router does the
// waiting.

#include "hearth/core/clock.hpp"
#include "hearth/core/error.hpp"

namespace hearth::router {

struct RetryPolicy {
  int max_retries = 2;          // per candidate, after the first attempt
  Duration base_delay{200};
  Duration max_delay{5'000};
};

enum class Next { Retry, Failover, GiveUp };

struct Decision {
  Next next = Next::GiveUp;
  Duration delay{0};  // with Retry
  friend bool operator==(const Decision&, const Decision&) = default;
};

// Exponential backoff with "equal jitter": half the step fixed, half scaled by
// jitter01 ∈ [0, 1), so concurrent clients spread out but never retry at once.
Duration backoff_delay(const RetryPolicy& policy, int retries_done, double jitter01);

// After an attempt ended with `error`: committed is whether any byte reached the client,
// retries_done how often this candidate was already retried, time_left until the deadline.
Decision decide_after_failure(const Error& error, bool committed, int retries_done,
                              const RetryPolicy& policy, Duration time_left, double jitter01);

// Whether an error says the upstream is unhealthy (counts against its circuit breaker).
bool is_upstream_failure(const Error& error);

}  // namespace hearth::router
