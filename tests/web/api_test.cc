// The request pipeline (auth, validation, errors, metrics) driven without sockets.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/web/api_fixture.h"

namespace kiln::web {
namespace {

using nlohmann::json;

TEST(Api, EveryV1RouteNeedsAKey) {
  ApiFixture f;
  for (const auto& route : f.api().router().routes()) {
    if (route->pattern.rfind("/v1/", 0) != 0) continue;
    std::string path = route->pattern;
    for (const char* p : {"{id}", "{version}"}) {
      size_t at = path.find(p);
      if (at != std::string::npos) path.replace(at, std::strlen(p), "1");
    }
    auto r = f.Call(route->method, path, "", "");
    EXPECT_EQ(r.status, 401) << route->method << " " << path;
    EXPECT_EQ(r.json["error"]["code"], "unauthenticated");
    r = f.Call(route->method, path, "", "kiln_wrong_key_000000000000000000000000");
    EXPECT_EQ(r.status, 401) << route->method << " " << path;
  }
}

TEST(Api, ErrorEnvelopeCarriesRequestId) {
  ApiFixture f;
  auto r = f.Call("GET", "/v1/bots/nope", "", f.admin_key());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["error"]["code"], "not_found");
  EXPECT_EQ(r.json["error"]["request_id"], "req_test");
  EXPECT_TRUE(r.json["error"]["message"].is_string());
}

TEST(Api, UnknownRouteAndWrongMethod) {
  ApiFixture f;
  auto r = f.Call("GET", "/v2/nothing");
  EXPECT_EQ(r.status, 404);
  r = f.Call("PUT", "/v1/bots", "{}", f.admin_key());
  EXPECT_EQ(r.status, 405);
  bool has_allow = false;
  for (auto& [name, value] : r.raw.headers) has_allow |= name == "Allow" && value == "POST, GET";
  EXPECT_TRUE(has_allow);
}

TEST(Api, KeysAreAdminOnly) {
  ApiFixture f;
  std::string user = f.NewKey("team-a");
  EXPECT_EQ(f.Call("GET", "/v1/keys", "", user).status, 403);
  EXPECT_EQ(f.Call("POST", "/v1/keys", R"({"name":"x","workspace":"w"})", user).status, 403);
  EXPECT_EQ(f.Call("GET", "/v1/keys", "", f.admin_key()).status, 200);
  auto me = f.Call("GET", "/v1/me", "", user);
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.json["workspace"], "team-a");
  EXPECT_EQ(me.json["admin"], false);
  EXPECT_FALSE(me.json.contains("key")) << "secrets are never returned after creation";
}

TEST(Api, RevokedKeyStopsAtOnce) {
  ApiFixture f;
  auto created = f.Call("POST", "/v1/keys", R"({"name":"temp","workspace":"w"})", f.admin_key());
  ASSERT_EQ(created.status, 201);
  std::string key = created.json["key"];
  EXPECT_EQ(f.Call("GET", "/v1/bots", "", key).status, 200);  // now cached
  EXPECT_EQ(f.Call("DELETE", "/v1/keys/" + created.json["id"].get<std::string>(), "", f.admin_key())
                .status,
            200);
  EXPECT_EQ(f.Call("GET", "/v1/bots", "", key).status, 401);
}

TEST(Api, LastAdminKeyCannotBeRevoked) {
  ApiFixture f;
  std::string admin_id = f.Call("GET", "/v1/me", "", f.admin_key()).json["id"];
  auto r = f.Call("DELETE", "/v1/keys/" + admin_id, "", f.admin_key());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(f.Call("GET", "/v1/me", "", f.admin_key()).status, 200);
}

TEST(Api, ValidationNamesTheField) {
  ApiFixture f;
  struct Case {
    std::string body;
    std::string param;
  } cases[] = {
      {R"({})", "name"},
      {R"({"name": ""})", "name"},
      {R"({"name": "   "})", "name"},
      {R"({"name": 7})", "name"},
      {R"({"name": "x", "colour": "red"})", "colour"},
      {R"({"name": "x", "model_params": {"temperature": 3}})", "model_params.temperature"},
      {R"({"name": "x", "model_params": {"top_p": 0}})", "model_params.top_p"},
      {R"({"name": "x", "model_params": {"max_tokens": 1.5}})", "model_params.max_tokens"},
      {R"({"name": "x", "history_turns": -1})", "history_turns"},
      {R"({"name": "x", "variables": [{"name": "1bad"}]})", "variables[0].name"},
      {R"({"name": "x", "variables": [{"name": "a"}, {"name": "a"}]})", "variables[1].name"},
      {R"({"name": "x", "suggested_questions": [""]})", "suggested_questions[0]"},
      {R"j({"name": "x", "avatar_url": "javascript:alert(1)"})j", "avatar_url"},
      {R"({"name": "x", "knowledge_ids": ["a b"]})", "knowledge_ids[0]"},
      {R"({"name": "x", "follow_up": "yes"})", "follow_up"},
  };
  for (const auto& c : cases) {
    auto r = f.Call("POST", "/v1/bots", c.body, f.admin_key());
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(r.json["error"]["param"], c.param) << c.body << " " << r.json.dump();
  }
}

TEST(Api, MalformedBodies) {
  ApiFixture f;
  for (const std::string body : {"{", "[1,2", "{\"name\": \"\xff\"}", "null", "\"x\"", "[]"}) {
    auto r = f.Call("POST", "/v1/bots", body, f.admin_key());
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.json["error"]["code"], "invalid_argument");
  }
  // Deeply nested JSON is refused without exhausting the stack.
  std::string deep(100000, '[');
  EXPECT_EQ(f.Call("POST", "/v1/bots", deep, f.admin_key()).status, 400);
  std::string deep_valid = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_EQ(f.Call("POST", "/v1/bots", deep_valid, f.admin_key()).status, 400);
  // Wrong media type.
  auto r = f.Call("POST", "/v1/bots", R"({"name":"x"})", f.admin_key(), "text/plain");
  EXPECT_EQ(r.status, 400);
  // Bad query parameters.
  EXPECT_EQ(f.Call("GET", "/v1/bots?limit=0", "", f.admin_key()).json["error"]["param"], "limit");
  EXPECT_EQ(f.Call("GET", "/v1/bots?limit=abc", "", f.admin_key()).json["error"]["param"], "limit");
  EXPECT_EQ(f.Call("GET", "/v1/bots?limit=101", "", f.admin_key()).status, 400);
}

TEST(Api, MetricsCountRequestsByRouteAndStatus) {
  ApiFixture f;
  f.Call("GET", "/v1/bots/missing", "", f.admin_key());
  f.Call("GET", "/v1/bots/missing", "", f.admin_key());
  f.Call("GET", "/healthz");
  std::string text = f.Call("GET", "/metrics").raw.body;
  EXPECT_NE(
      text.find(
          "kiln_http_requests_total{method=\"GET\",route=\"/v1/bots/{id}\",status=\"404\"} 2"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("kiln_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                      "healthz\",le=\"+Inf\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("kiln_http_connections_open"), std::string::npos);
}

}  // namespace
}  // namespace kiln::web
