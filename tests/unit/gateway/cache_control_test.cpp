// Cache-Control on requests: the directives the response cache honours.

#include "hearth/gateway/cache_control.hpp"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

TEST(CacheControl, Directives) {
  struct Case {
    const char* header;
    bool no_store, no_cache;
  };
  const Case cases[] = {
      {"", false, false},
      {"no-store", true, false},
      {"no-cache", false, true},
      {"No-Cache, NO-STORE", true, true},
      {"  no-cache ,  max-stale=10", false, true},
      {"max-age=0", false, true},
      {"max-age = \"0\"", false, true},
      {"max-age=60", false, false},
      {"private, no-transform", false, false},
      {"no-storex, xno-cache", false, false},
      {",,,", false, false},
  };
  for (const auto& c : cases) {
    auto directives = parse_cache_control(c.header);
    EXPECT_EQ(directives.no_store, c.no_store) << c.header;
    EXPECT_EQ(directives.no_cache, c.no_cache) << c.header;
  }
}

}  // namespace
}  // namespace hearth::gateway
