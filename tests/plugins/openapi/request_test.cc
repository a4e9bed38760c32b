// BuildOpenApiRequest: every parameter location and style, bodies, and each
// credential type (the secret where it must be and nowhere else).
#include "plugins/openapi/request.h"

#include <gtest/gtest.h>

#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;
using openapitest::ErrorOf;

constexpr std::string_view kBase = "https://api.example.com/v1";

OpenApiParameter Param(std::string name, std::string in, bool required = false) {
  OpenApiParameter p;
  p.argument = name;
  p.name = std::move(name);
  p.in = std::move(in);
  p.required = required || p.in == "path";
  p.style = p.in == "query" || p.in == "cookie" ? "form" : "simple";
  p.explode = p.style == "form";
  return p;
}

OpenApiOperation Operation(std::string method, std::string path,
                           std::vector<OpenApiParameter> params = {}) {
  OpenApiOperation op;
  op.method = std::move(method);
  op.path = std::move(path);
  op.parameters = std::move(params);
  return op;
}

OpenApiRequest BuildOk(const OpenApiOperation& op, const json& args, const OpenApiAuth& auth = {}) {
  Result<OpenApiRequest> r = BuildOpenApiRequest(op, kBase, auth, args);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : OpenApiRequest{};
}

std::string HeaderOf(const OpenApiRequest& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "(none)";
}

int Count(std::string_view haystack, std::string_view needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// How often `secret` occurs anywhere in the request.
int Occurrences(const OpenApiRequest& r, std::string_view secret) {
  int n = Count(r.url, secret) + Count(r.body, secret);
  for (const auto& [name, value] : r.headers) n += Count(name, secret) + Count(value, secret);
  return n;
}

TEST(BuildOpenApiRequest, PathParametersAreEncodedIntoTheTemplate) {
  auto op = Operation("GET", "/users/{user}/files/{file}",
                      {Param("user", "path"), Param("file", "path")});
  OpenApiRequest r = BuildOk(op, {{"user", "a/b c?"}, {"file", 42}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "https://api.example.com/v1/users/a%2Fb%20c%3F/files/42");
  EXPECT_EQ(HeaderOf(r, "Accept"), "application/json");
  // Dot segments cannot climb out of the template.
  EXPECT_EQ(BuildOk(op, {{"user", ".."}, {"file", "."}}).url,
            "https://api.example.com/v1/users/%2E%2E/files/%2E");
  EXPECT_EQ(BuildOk(op, {{"user", "é"}, {"file", true}}).url,
            "https://api.example.com/v1/users/%C3%A9/files/true");
  EXPECT_EQ(BuildOk(op, {{"user", json::array({1, 2})}, {"file", "x"}}).url,
            "https://api.example.com/v1/users/1,2/files/x");
}

TEST(BuildOpenApiRequest, MissingOrEmptyPathParameterIsNamed) {
  auto op = Operation("GET", "/users/{user}", {Param("user", "path")});
  Result<OpenApiRequest> r = BuildOpenApiRequest(op, kBase, {}, json::object());
  EXPECT_NE(ErrorOf(r).find("\"user\""), std::string::npos);
  EXPECT_EQ(r.status().param(), "user");
  EXPECT_NE(ErrorOf(BuildOpenApiRequest(op, kBase, {}, {{"user", ""}})).find("empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf(BuildOpenApiRequest(op, kBase, {}, {{"user", nullptr}})).find("user"),
            std::string::npos);
  // A template variable no parameter declares.
  auto undeclared = Operation("GET", "/a/{b}");
  r = BuildOpenApiRequest(undeclared, kBase, {}, json::object());
  EXPECT_NE(ErrorOf(r).find("\"b\""), std::string::npos);
}

TEST(BuildOpenApiRequest, QueryParametersInEveryStyle) {
  OpenApiParameter csv = Param("ids", "query");
  csv.explode = false;
  OpenApiParameter pipes = Param("p", "query");
  pipes.style = "pipeDelimited";
  pipes.explode = false;
  OpenApiParameter deep = Param("filter", "query");
  deep.style = "deepObject";
  auto op = Operation("GET", "/search",
                      {Param("q", "query", true), Param("n", "query"), Param("tags", "query"), csv,
                       pipes, deep, Param("flag", "query"), Param("absent", "query")});
  OpenApiRequest r = BuildOk(op, {{"q", "a&b=c d"},
                                  {"n", 3.5},
                                  {"tags", json::array({"x", "y z"})},
                                  {"ids", {1, 2}},
                                  {"p", json::array({"a", "b"})},
                                  {"filter", {{"color", "red"}}},
                                  {"flag", false}});
  EXPECT_EQ(r.url,
            "https://api.example.com/v1/search?q=a%26b%3Dc%20d&n=3.5&tags=x&tags=y%20z&ids=1,2"
            "&p=a|b&filter[color]=red&flag=false");
  EXPECT_NE(
      ErrorOf(BuildOpenApiRequest(op, kBase, {}, json::object())).find("query parameter \"q\""),
      std::string::npos);
  // An exploded object: its own keys.
  OpenApiParameter object = Param("o", "query");
  EXPECT_EQ(BuildOk(Operation("GET", "/s?fixed=1", {object}), {{"o", {{"a", 1}, {"b", "x"}}}}).url,
            "https://api.example.com/v1/s?fixed=1&a=1&b=x");
}

TEST(BuildOpenApiRequest, HeaderAndCookieParameters) {
  auto op = Operation("GET", "/h",
                      {Param("X-Trace", "header"), Param("X-List", "header"),
                       Param("session", "cookie"), Param("theme", "cookie")});
  OpenApiRequest r = BuildOk(
      op, {{"X-Trace", "abc 1"}, {"X-List", {1, 2}}, {"session", "s p"}, {"theme", "dark"}});
  EXPECT_EQ(HeaderOf(r, "X-Trace"), "abc 1");
  EXPECT_EQ(HeaderOf(r, "X-List"), "1,2");
  EXPECT_EQ(HeaderOf(r, "Cookie"), "session=s%20p; theme=dark");
  EXPECT_EQ(r.url, "https://api.example.com/v1/h");
  std::string message =
      ErrorOf(BuildOpenApiRequest(op, kBase, {}, {{"X-Trace", "a\r\nHost: evil"}}));
  EXPECT_NE(message.find("control characters"), std::string::npos) << message;
}

TEST(BuildOpenApiRequest, MergedBodyTakesTheArgumentsLeftOver) {
  auto op = Operation("POST", "/pets/{id}", {Param("id", "path"), Param("dry_run", "query")});
  op.body = OpenApiOperation::Body::kMerged;
  op.body_media_type = "application/json";
  OpenApiRequest r = BuildOk(op, {{"id", 7},
                                  {"dry_run", true},
                                  {"name", "Rex"},
                                  {"tags", {"a"}},
                                  {"Authorization", "not a header"}});
  EXPECT_EQ(r.url, "https://api.example.com/v1/pets/7?dry_run=true");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"name": "Rex", "tags": ["a"], "Authorization": "not a header"})"));
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(r, "Authorization"), "(none)");
  // Nothing left over: no body unless one is required.
  r = BuildOk(op, {{"id", 7}});
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "(none)");
  op.body_required = true;
  EXPECT_EQ(BuildOk(op, {{"id", 7}}).body, "{}");
}

TEST(BuildOpenApiRequest, NamedBody) {
  auto op = Operation("PUT", "/list");
  op.body = OpenApiOperation::Body::kNamed;
  op.body_argument = "body";
  op.body_media_type = "application/json";
  op.body_required = true;
  OpenApiRequest r = BuildOk(op, {{"body", {1, 2, 3}}, {"ignored", 1}});
  EXPECT_EQ(r.body, "[1,2,3]");
  EXPECT_EQ(r.method, "PUT");
  std::string message = ErrorOf(BuildOpenApiRequest(op, kBase, {}, json::object()));
  EXPECT_NE(message.find("request body \"body\""), std::string::npos) << message;
  op.body_media_type = "text/plain";
  r = BuildOk(op, {{"body", "hello"}});
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "text/plain");
}

TEST(BuildOpenApiRequest, ArgumentsMustBeAnObject) {
  auto op = Operation("GET", "/x");
  EXPECT_TRUE(BuildOpenApiRequest(op, kBase, {}, nullptr).ok());
  for (const json& bad : {json::array(), json("s"), json(1)}) {
    EXPECT_NE(ErrorOf(BuildOpenApiRequest(op, kBase, {}, bad)).find("JSON object"),
              std::string::npos);
  }
}

TEST(BuildOpenApiRequest, ApiKeyInAHeader) {
  const OpenApiAuth auth{"api_key", "X-Api-Key", "header", "k-SECRET-1"};
  // Even an operation that declares the header cannot take it from the model.
  auto op = Operation("GET", "/x", {Param("x-api-key", "header"), Param("q", "query")});
  OpenApiRequest r = BuildOk(op, {{"x-api-key", "model-chosen"}, {"q", "k-SECRET-1"}}, auth);
  EXPECT_EQ(HeaderOf(r, "X-Api-Key"), "k-SECRET-1");
  EXPECT_EQ(HeaderOf(r, "x-api-key"), "(none)");
  EXPECT_EQ(Occurrences(r, "model-chosen"), 0);
  r = BuildOk(op, {{"q", "x"}}, auth);
  EXPECT_EQ(Occurrences(r, "k-SECRET-1"), 1);
  EXPECT_EQ(r.url, "https://api.example.com/v1/x?q=x");
}

TEST(BuildOpenApiRequest, ApiKeyInTheQuery) {
  const OpenApiAuth auth{"api_key", "key", "query", "q SECRET&2"};
  auto op = Operation("GET", "/x", {Param("key", "query"), Param("q", "query")});
  OpenApiRequest r = BuildOk(op, {{"key", "model-chosen"}, {"q", "x"}}, auth);
  EXPECT_EQ(r.url, "https://api.example.com/v1/x?q=x&key=q%20SECRET%262");
  EXPECT_EQ(Occurrences(r, "q%20SECRET%262"), 1);
  EXPECT_EQ(Occurrences(r, "SECRET"), 1);
  EXPECT_EQ(Occurrences(r, "model-chosen"), 0);
}

TEST(BuildOpenApiRequest, BearerToken) {
  const OpenApiAuth auth{"bearer", "", "", "tok-SECRET-3"};
  auto op = Operation("POST", "/x", {Param("Authorization", "header")});
  op.body = OpenApiOperation::Body::kMerged;
  op.body_media_type = "application/json";
  OpenApiRequest r = BuildOk(op, {{"Authorization", "Bearer model"}, {"a", 1}}, auth);
  EXPECT_EQ(HeaderOf(r, "Authorization"), "Bearer tok-SECRET-3");
  EXPECT_EQ(Occurrences(r, "SECRET"), 1);
  EXPECT_EQ(Occurrences(r, "model"), 0);
  EXPECT_EQ(json::parse(r.body), json({{"a", 1}}));
}

TEST(BuildOpenApiRequest, BasicCredentials) {
  const OpenApiAuth auth{"basic", "", "", "user:pass"};
  OpenApiRequest r = BuildOk(Operation("GET", "/x"), json::object(), auth);
  EXPECT_EQ(HeaderOf(r, "Authorization"), "Basic dXNlcjpwYXNz");
  int authorization = 0;
  for (const auto& [name, value] : r.headers) authorization += name == "Authorization";
  EXPECT_EQ(authorization, 1);
  EXPECT_EQ(Occurrences(r, "pass"), 0);  // only in its encoded form
  // Padding for every length.
  EXPECT_EQ(HeaderOf(BuildOk(Operation("GET", "/x"), {}, {"basic", "", "", "a:"}), "Authorization"),
            "Basic YTo=");
  EXPECT_EQ(
      HeaderOf(BuildOk(Operation("GET", "/x"), {}, {"basic", "", "", "ab:"}), "Authorization"),
      "Basic YWI6");
  EXPECT_EQ(
      HeaderOf(BuildOk(Operation("GET", "/x"), {}, {"basic", "", "", "abcd:"}), "Authorization"),
      "Basic YWJjZDo=");
}

TEST(PercentEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(PercentEncode("azAZ09-._~"), "azAZ09-._~");
  EXPECT_EQ(PercentEncode(" /?#[]@!$&'()*+,;=%"),
            "%20%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25");
  EXPECT_EQ(PercentEncode(std::string("\0\xff", 2)), "%00%FF");
}

}  // namespace
}  // namespace kiln::plugins
