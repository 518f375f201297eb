#include "hearth/router/retry_policy.hpp"

#include <gtest/gtest.h>

namespace hearth::router {
namespace {

Error upstream(ErrorCode code, int status = 0) {
  Error error = make_error(code, "x");
  error.upstream_status = status;
  return error;
}

TEST(BackoffDelay, GrowsExponentiallyWithEqualJitterAndIsCapped) {
  RetryPolicy policy{.max_retries = 5, .base_delay = Duration(100), .max_delay = Duration(1000)};
  EXPECT_EQ(backoff_delay(policy, 0, 0.0), Duration(50));
  EXPECT_EQ(backoff_delay(policy, 0, 0.999), Duration(99));
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), Duration(100));
  EXPECT_EQ(backoff_delay(policy, 2, 0.5), Duration(300));
  EXPECT_EQ(backoff_delay(policy, 10, 1.0), Duration(1000));
}

struct Case {
  const char* name;
  Error error;
  bool committed;
  int retries_done;
  Duration time_left;
  Decision expected;
};

TEST(DecideAfterFailure, Table) {
  RetryPolicy policy{.max_retries = 2, .base_delay = Duration(100), .max_delay = Duration(1000)};
  Error rate_limited = upstream(ErrorCode::RateLimited, 429);
  rate_limited.retry_after = Duration(700);
  const Duration plenty(60'000);
  const Case cases[] = {
      {"connect error retries", upstream(ErrorCode::UpstreamError), false, 0, plenty,
       {Next::Retry, Duration(50)}},
      {"5xx retries with backoff", upstream(ErrorCode::UpstreamError, 503), false, 1, plenty,
       {Next::Retry, Duration(100)}},
      {"retries exhausted fail over", upstream(ErrorCode::UpstreamError, 500), false, 2, plenty,
       {Next::Failover}},
      {"429 honours Retry-After", rate_limited, false, 0, plenty, {Next::Retry, Duration(700)}},
      {"Retry-After past the deadline fails over", rate_limited, false, 0, Duration(500),
       {Next::Failover}},
      {"bad credentials fail over without retry", upstream(ErrorCode::UpstreamError, 401), false,
       0, plenty, {Next::Failover}},
      {"timeouts fail over", upstream(ErrorCode::UpstreamTimeout), false, 0, plenty,
       {Next::Failover}},
      {"after commit nothing can be redone", upstream(ErrorCode::UpstreamError), true, 0, plenty,
       {Next::GiveUp}},
      {"the upstream rejected the request itself", upstream(ErrorCode::UpstreamRejected, 400),
       false, 0, plenty, {Next::GiveUp}},
      {"client gone", upstream(ErrorCode::Cancelled), false, 0, plenty, {Next::GiveUp}},
      {"deadline", upstream(ErrorCode::DeadlineExceeded), false, 0, plenty, {Next::GiveUp}},
      {"local node full bursts", upstream(ErrorCode::Overloaded), false, 0, plenty,
       {Next::Failover}},
      {"a longer context may be next", upstream(ErrorCode::ContextLengthExceeded), false, 0, plenty,
       {Next::Failover}},
      {"what one route cannot do, the next may", upstream(ErrorCode::Unsupported), false, 0, plenty,
       {Next::Failover}},
      {"a malformed request goes nowhere", upstream(ErrorCode::InvalidRequest), false, 0, plenty,
       {Next::GiveUp}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decide_after_failure(c.error, c.committed, c.retries_done, policy, c.time_left, 0.0),
              c.expected)
        << c.name;
  }
}

TEST(IsUpstreamFailure, OnlyHealthSignalsCount) {
  EXPECT_TRUE(is_upstream_failure(upstream(ErrorCode::UpstreamError, 502)));
  EXPECT_TRUE(is_upstream_failure(upstream(ErrorCode::UpstreamTimeout)));
  EXPECT_TRUE(is_upstream_failure(upstream(ErrorCode::RateLimited, 429)));
  EXPECT_FALSE(is_upstream_failure(upstream(ErrorCode::UpstreamRejected, 400)));
  EXPECT_FALSE(is_upstream_failure(upstream(ErrorCode::Cancelled)));
}

}  // namespace
}  // namespace hearth::router
