#include "hearth/router/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace hearth::router {
namespace {

bool is_transient(const Error& error) {
  switch (error.code) {
    case ErrorCode::RateLimited:
      return true;
    case ErrorCode::UpstreamError:
      // Connect errors and 5xx pass; a credentials problem won't fix itself.
      return error.upstream_status == 0 || error.upstream_status >= 500;
    default:
      return false;
  }
}

}  // namespace

Duration backoff_delay(const RetryPolicy& policy, int retries_done, double jitter01) {
  double step = static_cast<double>(policy.base_delay.count()) *
                std::pow(2.0, std::clamp(retries_done, 0, 30));
  step = std::min(step, static_cast<double>(policy.max_delay.count()));
  double delay = step / 2 + std::clamp(jitter01, 0.0, 1.0) * step / 2;
  return Duration(static_cast<Duration::rep>(delay));
}

Decision decide_after_failure(const Error& error, bool committed, int retries_done,
                              const RetryPolicy& policy, Duration time_left, double jitter01) {
  if (committed) return {Next::GiveUp};  // bytes went out: only an in-stream error is left
  switch (error.code) {
    case ErrorCode::Cancelled:
    case ErrorCode::DeadlineExceeded:
    case ErrorCode::UpstreamRejected:  // the request itself is wrong: no one will take it
    case ErrorCode::InvalidRequest:
      return {Next::GiveUp};
    case ErrorCode::ContextLengthExceeded:  // another route may have a longer context
    case ErrorCode::Unsupported:            // or do what this one cannot
      return {Next::Failover};
    default:
      break;
  }
  if (is_transient(error) && retries_done < policy.max_retries) {
    Duration delay = error.retry_after ? *error.retry_after
                                       : backoff_delay(policy, retries_done, jitter01);
    if (delay < time_left) return {Next::Retry, delay};
  }
  return {Next::Failover};
}

bool is_upstream_failure(const Error& error) {
  switch (error.code) {
    case ErrorCode::UpstreamError:
    case ErrorCode::UpstreamTimeout:
    case ErrorCode::RateLimited:
      return true;
    default:
      return false;
  }
}

}  // namespace hearth::router
