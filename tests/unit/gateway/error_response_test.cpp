#include "hearth/gateway/error_response.hpp"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

struct Case {
  ErrorCode code;
  unsigned status;
  const char* type;
  const char* error_code;  // nullptr: JSON null
};

class ErrorMapping : public ::testing::TestWithParam<Case> {};

TEST_P(ErrorMapping, StatusTypeAndCode) {
  const auto& c = GetParam();
  auto response = to_error_response(make_error(c.code, "something went wrong"));
  EXPECT_EQ(response.status, c.status) << to_string(c.code);
  EXPECT_EQ(http_status(make_error(c.code, "x")), c.status);
  const auto& error = response.body.at("error");
  EXPECT_EQ(error.at("message"), "something went wrong");
  EXPECT_EQ(error.at("type"), c.type) << to_string(c.code);
  EXPECT_TRUE(error.at("param").is_null());
  if (c.error_code == nullptr) {
    EXPECT_TRUE(error.at("code").is_null()) << to_string(c.code);
  } else {
    EXPECT_EQ(error.at("code"), c.error_code) << to_string(c.code);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrorMapping,
    ::testing::Values(
        Case{ErrorCode::InvalidRequest, 400, "invalid_request_error", nullptr},
        Case{ErrorCode::InvalidJson, 400, "invalid_request_error", nullptr},
        Case{ErrorCode::ContextLengthExceeded, 400, "invalid_request_error",
             "context_length_exceeded"},
        Case{ErrorCode::Unauthorized, 401, "invalid_request_error", "invalid_api_key"},
        Case{ErrorCode::PermissionDenied, 403, "permission_error", "permission_denied"},
        Case{ErrorCode::ModelNotFound, 404, "invalid_request_error", "model_not_found"},
        Case{ErrorCode::NotFound, 404, "invalid_request_error", nullptr},
        Case{ErrorCode::MethodNotAllowed, 405, "invalid_request_error", nullptr},
        Case{ErrorCode::RequestTimeout, 408, "invalid_request_error", "request_timeout"},
        Case{ErrorCode::PayloadTooLarge, 413, "invalid_request_error", "payload_too_large"},
        Case{ErrorCode::RateLimited, 429, "rate_limit_exceeded", "rate_limit_exceeded"},
        Case{ErrorCode::UpstreamRejected, 400, "invalid_request_error", nullptr},
        Case{ErrorCode::UpstreamError, 502, "upstream_error", "upstream_error"},
        Case{ErrorCode::UpstreamTimeout, 504, "timeout_error", "upstream_timeout"},
        Case{ErrorCode::DeadlineExceeded, 504, "timeout_error", "deadline_exceeded"},
        Case{ErrorCode::NoHealthyRoute, 503, "service_unavailable_error", "no_healthy_route"},
        Case{ErrorCode::Overloaded, 503, "service_unavailable_error", "overloaded"},
        Case{ErrorCode::EgressBlocked, 503, "service_unavailable_error", "egress_blocked"},
        Case{ErrorCode::Cancelled, 499, "cancelled", "cancelled"},
        Case{ErrorCode::Internal, 500, "server_error", nullptr}),
    [](const auto& test) { return std::string(to_string(test.param.code)); });

TEST(ErrorMapping, ParamIsNamed) {
  auto response = to_error_response(make_error(ErrorCode::InvalidRequest, "bad", "messages[2].role"));
  EXPECT_EQ(response.body["error"]["param"], "messages[2].role");
}

TEST(ErrorMapping, UpstreamRejectedPassesKnownStatusesOn) {
  for (int status : {400, 404, 409, 413, 422}) {
    Error error = make_error(ErrorCode::UpstreamRejected, "upstream says no");
    error.upstream_status = status;
    auto response = to_error_response(error);
    EXPECT_EQ(response.status, static_cast<unsigned>(status));
    EXPECT_EQ(response.body["error"]["message"], "upstream says no");
  }
  for (int status : {0, 401, 403, 418, 451}) {
    Error error = make_error(ErrorCode::UpstreamRejected, "upstream says no");
    error.upstream_status = status;
    EXPECT_EQ(to_error_response(error).status, 400u) << status;
  }
}

TEST(ErrorMapping, RetryAfterRoundsUpAndDefaults) {
  Error overloaded = make_error(ErrorCode::Overloaded, "busy");
  EXPECT_EQ(to_error_response(overloaded).retry_after_s, 1u);
  EXPECT_EQ(to_error_response(make_error(ErrorCode::NoHealthyRoute, "down")).retry_after_s, 1u);

  overloaded.retry_after = std::chrono::milliseconds(2001);
  EXPECT_EQ(to_error_response(overloaded).retry_after_s, 3u);

  Error limited = make_error(ErrorCode::RateLimited, "slow down");
  EXPECT_FALSE(to_error_response(limited).retry_after_s.has_value());
  limited.retry_after = std::chrono::milliseconds(500);
  EXPECT_EQ(to_error_response(limited).retry_after_s, 1u);
  limited.retry_after = std::chrono::milliseconds(30000);
  EXPECT_EQ(to_error_response(limited).retry_after_s, 30u);

  Error internal = make_error(ErrorCode::Internal, "oops");
  internal.retry_after = std::chrono::milliseconds(5000);
  EXPECT_FALSE(to_error_response(internal).retry_after_s.has_value());
}

TEST(ErrorMapping, EmptyMessageGetsADefault) {
  auto response = to_error_response(make_error(ErrorCode::UpstreamError, ""));
  EXPECT_FALSE(response.body["error"]["message"].get<std::string>().empty());
}

}  // namespace
}  // namespace hearth::gateway
