#include "hearth/upstream/http_url.hpp"

#include <gtest/gtest.h>

namespace hearth::upstream {
namespace {

struct Case {
  const char* url;
  bool tls;
  const char* host;
  const char* port;
  const char* target;
  const char* authority;
};

TEST(HttpUrl, SplitsWhatAClientNeeds) {
  const Case cases[] = {
      {"http://127.0.0.1:8080/v1/chat/completions", false, "127.0.0.1", "8080",
       "/v1/chat/completions", "127.0.0.1:8080"},
      {"http://vllm.internal/v1/models", false, "vllm.internal", "80", "/v1/models",
       "vllm.internal"},
      {"HTTPS://api.openai.com/v1/chat/completions", true, "api.openai.com", "443",
       "/v1/chat/completions", "api.openai.com"},
      {"https://example.com:8443", true, "example.com", "8443", "/", "example.com:8443"},
      {"http://[::1]:9000/v1?api-version=2024-06-01", false, "::1", "9000",
       "/v1?api-version=2024-06-01", "[::1]:9000"},
      {"http://[fe80::1]/x", false, "fe80::1", "80", "/x", "[fe80::1]"},
      {"http://host?q=1", false, "host", "80", "/?q=1", "host"},
      {"http://host/a#fragment", false, "host", "80", "/a", "host"},
  };
  for (const Case& c : cases) {
    const auto url = parse_http_url(c.url);
    ASSERT_TRUE(url.has_value()) << c.url;
    EXPECT_EQ(url->tls, c.tls) << c.url;
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->target, c.target) << c.url;
    EXPECT_EQ(url->authority(), c.authority) << c.url;
  }
}

TEST(HttpUrl, RefusesWhatItCannotSendSafely) {
  for (const char* url : {
           "ftp://host/x",           // another scheme
           "host:80/x",              // no scheme
           "http://",                // no host
           "http://:80/x",           // no host
           "http://user:pw@host/x",  // credentials in the URL
           "http://host:0/x",        // port out of range
           "http://host:65536/x",
           "http://host:8o/x",
           "http://host:/x",
           "http://ho st/x",  // a space would break the request line
           "http://host/a b",
           "http://host/a\r\nX-Injected: 1",
           "http://[::1/x",  // unclosed bracket
           "http://[]/x",
           "http://[::1]junk/x",
           "http://h%41st/x",
       }) {
    EXPECT_FALSE(parse_http_url(url).has_value()) << url;
  }
}

}  // namespace
}  // namespace hearth::upstream
