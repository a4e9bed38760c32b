#include "plugins/net/internal/url.h"

#include <gtest/gtest.h>

#include <string>

#include "plugins/net/http_fetch.h"

namespace kiln::plugins {
namespace {

TEST(ParseUrl, AcceptsAndNormalizes) {
  struct Case {
    std::string_view in;
    std::string_view scheme, host;
    int port;
    std::string_view path;
  };
  const Case cases[] = {
      {"http://example.com", "http", "example.com", 80, "/"},
      {"HTTPS://Example.COM/A/b?Q=1#frag", "https", "example.com", 443, "/A/b?Q=1"},
      {"http://example.com:8080?x", "http", "example.com", 8080, "/?x"},
      {"https://127.0.0.1:1/", "https", "127.0.0.1", 1, "/"},
      {"http://[::1]:65535/p", "http", "::1", 65535, "/p"},
      {"http://[2001:DB8::1]/", "http", "2001:db8::1", 80, "/"},
      {"http://a_b-c.example/path with space/\xe4\xb8\xad", "http", "a_b-c.example", 80,
       "/path%20with%20space/%E4%B8%AD"},
  };
  for (const Case& c : cases) {
    auto r = ParseUrl(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().ToString();
    EXPECT_EQ(r->scheme, c.scheme) << c.in;
    EXPECT_EQ(r->host, c.host) << c.in;
    EXPECT_EQ(r->port, c.port) << c.in;
    EXPECT_EQ(r->path_and_query, c.path) << c.in;
  }
}

TEST(ParseUrl, Rejects) {
  struct Case {
    std::string in;
    std::string_view message;
  };
  const Case cases[] = {
      {"", "empty"},
      {"example.com/x", "must start with http"},
      {"ftp://example.com/", "only http and https"},
      {"file:///etc/passwd", "only http and https"},
      {"javascript://x", "only http and https"},
      {"http://", "no host"},
      {"http:///path", "no host"},
      {"http://:80/", "no host"},
      {"http://user:pw@example.com/", "user:password@"},
      {"http://user@example.com/", "user:password@"},
      {"http://example.com:0/", "port"},
      {"http://example.com:65536/", "port"},
      {"http://example.com:/", "port"},
      {"http://example.com:8a/", "port"},
      {"http://example.com:-1/", "port"},
      {"http://exa mple.com/", "host"},
      {"http://exa%6dple.com/", "host"},
      {"http://ex\\ample.com/", "host"},
      {"http://\xe4\xb8\xad.com/", "xn--"},
      {"http://[::1/", "lacks ']'"},
      {"http://[::1]x/", "after the URL's IPv6 host"},
      {"http://[fe80::1%25eth0]/", "malformed"},
      {"http://[not-ip]/", "malformed"},
      {"http://example.com/a\r\nHost: evil", "control characters"},
      {"http://example.com/\x7f", "control characters"},
      {"http://example.com/" + std::string(2048, 'a'), "longer than 2048"},
  };
  for (const Case& c : cases) {
    auto r = ParseUrl(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.in;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.in << ": " << r.status().message();
  }
  EXPECT_TRUE(ParseUrl("http://e.com/" + std::string(2048 - 13, 'a')).ok());
}

TEST(UrlHelpers, FormatAndHostHeader) {
  Url url = *ParseUrl("https://[::1]:8443/a?b");
  EXPECT_EQ(internal::FormatUrl(url), "https://[::1]:8443/a?b");
  EXPECT_EQ(internal::HostHeader(url), "[::1]:8443");
  Url plain = *ParseUrl("http://Example.com:80/");
  EXPECT_EQ(internal::FormatUrl(plain), "http://example.com/");
  EXPECT_EQ(internal::HostHeader(plain), "example.com");
  EXPECT_TRUE(internal::IsIpLiteral("10.1.2.3"));
  EXPECT_TRUE(internal::IsIpLiteral("::1"));
  EXPECT_FALSE(internal::IsIpLiteral("example.com"));
}

TEST(UrlHelpers, ResolveReference) {
  Url base = *ParseUrl("http://a.example:8080/b/c/d?q");
  struct Case {
    std::string_view ref, out;
  };
  const Case cases[] = {
      {"https://other.example/x", "https://other.example/x"},
      {"//cdn.example/y", "http://cdn.example/y"},
      {"/abs?z=1", "http://a.example:8080/abs?z=1"},
      {"g", "http://a.example:8080/b/c/g"},
      {"./g/", "http://a.example:8080/b/c/g/"},
      {"../g", "http://a.example:8080/b/g"},
      {"../../../../g", "http://a.example:8080/g"},
      {"..", "http://a.example:8080/b/"},
      {"?y", "http://a.example:8080/b/c/d?y"},
      {"#frag", "http://a.example:8080/b/c/d?q"},
      {"", "http://a.example:8080/b/c/d?q"},
      {"/a/./b/../c", "http://a.example:8080/a/c"},
      {"  g  ", "http://a.example:8080/b/c/g"},
      {"file:///etc/passwd", "file:///etc/passwd"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(internal::ResolveReference(base, c.ref), c.out) << c.ref;
  }
}

}  // namespace
}  // namespace kiln::plugins
