#include "web/router.h"

#include <gtest/gtest.h>

#include "web/http.h"

namespace kiln::web {
namespace {

Route MakeRoute(const std::string& method, const std::string& pattern) {
  Route r;
  r.method = method;
  r.pattern = pattern;
  r.operation_id = method + pattern;
  r.handler = [](RequestContext&) -> Result<Response> { return Response{}; };
  return r;
}

TEST(Router, MatchesLiteralsAndParameters) {
  Router router;
  router.Add(MakeRoute("GET", "/v1/bots"));
  router.Add(MakeRoute("GET", "/v1/bots/{id}"));
  router.Add(MakeRoute("GET", "/v1/bots/{id}/versions/{version}"));
  router.Add(MakeRoute("GET", "/v1/bots/search"));

  auto m = router.Match("GET", "/v1/bots/bot_1");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/bots/{id}");
  EXPECT_EQ(m.params.at("id"), "bot_1");

  m = router.Match("GET", "/v1/bots/bot_1/versions/3");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("version"), "3");

  m = router.Match("GET", "/v1/bots/search");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/v1/bots/search") << "literal beats parameter";
}

TEST(Router, UnknownPathsAndWrongMethods) {
  Router router;
  router.Add(MakeRoute("GET", "/v1/bots/{id}"));
  router.Add(MakeRoute("DELETE", "/v1/bots/{id}"));
  EXPECT_EQ(router.Match("GET", "/v1/bots").route, nullptr);
  EXPECT_EQ(router.Match("GET", "/v1/bots/").route, nullptr) << "empty parameter";
  EXPECT_EQ(router.Match("GET", "/v1/bots/a/b").route, nullptr);
  EXPECT_EQ(router.Match("GET", "/").route, nullptr);
  auto m = router.Match("PUT", "/v1/bots/x");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));
}

TEST(RouterDeathTest, DuplicateRouteIsABug) {
  Router router;
  router.Add(MakeRoute("GET", "/a"));
  EXPECT_DEATH(router.Add(MakeRoute("GET", "/a")), "duplicate route");
}

TEST(ParseTarget, DecodesPathAndQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  ASSERT_TRUE(ParseTarget("/v1/bots?limit=5&q=hello+world&cursor=%E7%9F%A5", &path, &query));
  EXPECT_EQ(path, "/v1/bots");
  EXPECT_EQ(query.find("limit")->second, "5");
  EXPECT_EQ(query.find("q")->second, "hello world");
  EXPECT_EQ(query.find("cursor")->second, "知");
  ASSERT_TRUE(ParseTarget("/a%20b", &path, &query));
  EXPECT_EQ(path, "/a b");
}

TEST(ParseTarget, RejectsHostileTargets) {
  std::string path;
  std::multimap<std::string, std::string> query;
  for (const char* bad : {"", "v1/bots", "http://x/y", "/a%", "/a%2", "/a%zz", "/a%00b", "/a?x=%",
                          "/a?%GG=1", "/\x01", "/a?x=\x7f", "/a\tb"}) {
    EXPECT_FALSE(ParseTarget(bad, &path, &query)) << bad;
  }
  // Found by fuzz_http_target: a raw NUL inside the target.
  EXPECT_FALSE(ParseTarget(std::string_view("/\x01\x00", 3), &path, &query));
}

}  // namespace
}  // namespace kiln::web
