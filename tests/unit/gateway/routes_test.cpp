#include "hearth/gateway/routes.hpp"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

struct Case {
  const char* method;
  const char* target;
  std::optional<Route> route;
  ErrorCode error = ErrorCode::NotFound;
};

TEST(MatchRoute, Table) {
  const Case cases[] = {
      {"POST", "/v1/chat/completions", Route::ChatCompletions},
      {"POST", "/v1/chat/completions?foo=bar", Route::ChatCompletions},
      {"POST", "/v1/completions", Route::Completions},
      {"GET", "/v1/models", Route::Models},
      {"GET", "/healthz", Route::Healthz},
      {"GET", "/healthz?probe=1", Route::Healthz},
      {"GET", "/readyz", Route::Readyz},
      {"GET", "/metrics", Route::Metrics},
      {"GET", "/v1/chat/completions", std::nullopt, ErrorCode::MethodNotAllowed},
      {"DELETE", "/v1/models", std::nullopt, ErrorCode::MethodNotAllowed},
      {"POST", "/healthz", std::nullopt, ErrorCode::MethodNotAllowed},
      {"GET", "/v1/nope", std::nullopt, ErrorCode::NotFound},
      {"GET", "/", std::nullopt, ErrorCode::NotFound},
      {"POST", "/v1/chat/completions/", std::nullopt, ErrorCode::NotFound},
      {"POST", "/V1/CHAT/COMPLETIONS", std::nullopt, ErrorCode::NotFound},
      {"GET", "", std::nullopt, ErrorCode::NotFound},
  };
  for (const auto& c : cases) {
    auto result = match_route(c.method, c.target);
    if (c.route) {
      ASSERT_TRUE(result.ok()) << c.method << " " << c.target;
      EXPECT_EQ(*result, *c.route) << c.method << " " << c.target;
    } else {
      ASSERT_FALSE(result.ok()) << c.method << " " << c.target;
      EXPECT_EQ(result.error().code, c.error) << c.method << " " << c.target;
    }
  }
}

TEST(MatchRoute, NotFoundNamesThePathWithoutQuery) {
  auto result = match_route("GET", "/v1/foo?key=secret");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("/v1/foo"), std::string::npos);
  EXPECT_EQ(result.error().message.find("secret"), std::string::npos);
}

TEST(Routes, PathsMethodsAndAuth) {
  EXPECT_EQ(route_path(Route::ChatCompletions), "/v1/chat/completions");
  EXPECT_EQ(route_method(Route::ChatCompletions), "POST");
  EXPECT_EQ(route_method(Route::Metrics), "GET");
  EXPECT_TRUE(route_needs_auth(Route::Models));
  EXPECT_TRUE(route_needs_auth(Route::Completions));
  EXPECT_FALSE(route_needs_auth(Route::Healthz));
  EXPECT_FALSE(route_needs_auth(Route::Metrics));
  EXPECT_EQ(route_for_path("/readyz"), Route::Readyz);
  EXPECT_EQ(route_for_path("/readyz/"), std::nullopt);
  EXPECT_EQ(target_path("/a?b#c"), "/a");
  EXPECT_EQ(target_path("/a#c"), "/a");
}

}  // namespace
}  // namespace hearth::gateway
