#include "hearth/upstream/upstream_errors.hpp"

#include <gtest/gtest.h>

namespace hearth::upstream {
namespace {

using std::chrono::system_clock;

TEST(UpstreamErrors, MapsStatusToErrorCode) {
  struct Case {
    int status;
    ErrorCode code;
  };
  const Case cases[] = {
      {400, ErrorCode::UpstreamRejected}, {401, ErrorCode::UpstreamError},
      {403, ErrorCode::UpstreamError},    {404, ErrorCode::UpstreamRejected},
      {408, ErrorCode::UpstreamTimeout},  {409, ErrorCode::UpstreamRejected},
      {413, ErrorCode::UpstreamRejected}, {422, ErrorCode::UpstreamRejected},
      {429, ErrorCode::RateLimited},      {500, ErrorCode::UpstreamError},
      {502, ErrorCode::UpstreamError},    {503, ErrorCode::UpstreamError},
      {529, ErrorCode::UpstreamError},    {302, ErrorCode::UpstreamError},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(error_code_for_status(c.status), c.code) << c.status;
  }
}

TEST(UpstreamErrors, ParsesRetryAfter) {
  const auto now = system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  struct Case {
    const char* retry_after;
    const char* retry_after_ms;
    std::optional<Duration> expected;
  };
  const Case cases[] = {
      {"2", "", Duration(2000)},
      {" 30 ", "", Duration(30000)},
      {"0", "", Duration(0)},
      {"1.5", "", Duration(1500)},
      {"", "250", Duration(250)},
      {"10", "250", Duration(250)},  // the precise header wins
      {"Sun, 06 Nov 1994 08:49:47 GMT", "", Duration(10000)},
      {"Sun, 06 Nov 1994 08:49:00 GMT", "", Duration(0)},  // in the past
      {"Sun, 06 Nov 1994 08:49:47 UTC", "", std::nullopt},
      {"soon", "", std::nullopt},
      {"-5", "", std::nullopt},
      {"", "", std::nullopt},
      {"", "abc", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_retry_after(c.retry_after, c.retry_after_ms, now), c.expected)
        << "'" << c.retry_after << "' '" << c.retry_after_ms << "'";
  }
}

TEST(UpstreamErrors, ExtractsMessagesFromEitherDialect) {
  struct Case {
    const char* body;
    const char* message;
    const char* param;
  };
  const Case cases[] = {
      {R"({"error":{"message":"bad temp","type":"invalid_request_error","param":"temperature"}})",
       "bad temp", "temperature"},
      {R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
       "Overloaded", ""},
      {R"({"error":"model not loaded"})", "model not loaded", ""},
      {R"({"message":"plain"})", "plain", ""},
      {R"({"detail":"Not Found"})", "Not Found", ""},
      {"<html>bad gateway</html>", "<html>bad gateway</html>", ""},
  };
  for (const auto& c : cases) {
    auto detail = parse_error_body(c.body);
    EXPECT_EQ(detail.message, c.message) << c.body;
    EXPECT_EQ(detail.param, c.param) << c.body;
  }
}

TEST(UpstreamErrors, RateLimitCarriesStatusAndRetryAfter) {
  Error error = error_from_status("openai", 429, R"({"error":{"message":"slow down"}})",
                                  Duration(2000), "sk-secret");
  EXPECT_EQ(error.code, ErrorCode::RateLimited);
  EXPECT_EQ(error.upstream_status, 429);
  EXPECT_EQ(error.retry_after, Duration(2000));
  EXPECT_NE(error.message.find("slow down"), std::string::npos);
}

TEST(UpstreamErrors, RejectionCarriesMessageAndParam) {
  Error error = error_from_status(
      "openai", 400, R"({"error":{"message":"Invalid value for 'n'","param":"n"}})", std::nullopt, "");
  EXPECT_EQ(error.code, ErrorCode::UpstreamRejected);
  EXPECT_EQ(error.upstream_status, 400);
  EXPECT_EQ(error.param, "n");
  EXPECT_NE(error.message.find("Invalid value for 'n'"), std::string::npos);
}

TEST(UpstreamErrors, CredentialErrorsSaySoAndNeverCarryTheKey) {
  const std::string key = "sk-proj-abcdef0123456789";
  Error error = error_from_status(
      "openai", 401,
      R"({"error":{"message":"Incorrect API key provided: sk-proj-abcdef0123456789. Also sk-pro*****6789."}})",
      std::nullopt, key);
  EXPECT_EQ(error.code, ErrorCode::UpstreamError);
  EXPECT_EQ(error.upstream_status, 401);
  EXPECT_NE(error.message.find("rejected hearth's credentials"), std::string::npos);
  EXPECT_NE(error.message.find("Incorrect API key provided"), std::string::npos);
  EXPECT_EQ(error.message.find("abcdef0123456789"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("*****6789"), std::string::npos) << error.message;
}

TEST(UpstreamErrors, ServerErrorsKeepStatusAndRetryAfter) {
  Error error = error_from_status("claude", 529,
                                  R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                                  Duration(1000), "");
  EXPECT_EQ(error.code, ErrorCode::UpstreamError);
  EXPECT_EQ(error.upstream_status, 529);
  EXPECT_EQ(error.retry_after, Duration(1000));
  EXPECT_NE(error.message.find("claude"), std::string::npos);
  EXPECT_NE(error.message.find("Overloaded"), std::string::npos);
}

TEST(UpstreamErrors, ScrubsSecretsAndMaskedKeys) {
  EXPECT_EQ(scrub_secret("key=abc123 and abc123", "abc123"), "key=[redacted] and [redacted]");
  EXPECT_EQ(scrub_secret("nothing here", ""), "nothing here");
  EXPECT_EQ(scrub_secret("provided: sk-abc***wxyz.", ""), "provided: [redacted].");
  EXPECT_EQ(scrub_secret("task-force", ""), "task-force");  // not a key
}

}  // namespace
}  // namespace hearth::upstream
