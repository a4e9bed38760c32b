// ParseOpenApiAuth: the API's credential shapes, and errors that never
// repeat the secret.
#include <gtest/gtest.h>

#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_util.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;
using openapitest::ErrorOf;

OpenApiAuth ParseOk(const json& j) {
  Result<OpenApiAuth> r = ParseOpenApiAuth(j);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : OpenApiAuth{};
}

TEST(ParseOpenApiAuth, EveryType) {
  EXPECT_EQ(ParseOk(nullptr).type, "none");
  EXPECT_EQ(ParseOk({{"type", "none"}}).type, "none");

  OpenApiAuth key = ParseOk(
      json::parse(R"({"type": "api_key", "in": "header", "name": "X-Api-Key", "key": "k1"})"));
  EXPECT_EQ(key.type, "api_key");
  EXPECT_EQ(key.in, "header");
  EXPECT_EQ(key.name, "X-Api-Key");
  EXPECT_EQ(key.secret, "k1");
  EXPECT_EQ(ParseOk(json::parse(R"({"type": "api_key", "name": "X-K", "key": "k"})")).in, "header");
  OpenApiAuth query =
      ParseOk(json::parse(R"({"type": "api_key", "in": "query", "name": "api key", "key": "k2"})"));
  EXPECT_EQ(query.in, "query");
  EXPECT_EQ(query.name, "api key");

  OpenApiAuth bearer = ParseOk(json::parse(R"({"type": "bearer", "token": "t"})"));
  EXPECT_EQ(bearer.type, "bearer");
  EXPECT_EQ(bearer.secret, "t");

  OpenApiAuth basic =
      ParseOk(json::parse(R"({"type": "basic", "username": "u", "password": "p:w"})"));
  EXPECT_EQ(basic.secret, "u:p:w");
  EXPECT_EQ(ParseOk(json::parse(R"({"type": "basic", "username": "u", "password": ""})")).secret,
            "u:");
}

TEST(ParseOpenApiAuth, BadShapesSayWhichField) {
  struct Case {
    const char* json;
    const char* param;
  };
  for (const Case& c : std::vector<Case>{
           {R"("bearer")", "auth"},
           {R"({})", "auth.type"},
           {R"({"type": 3})", "auth.type"},
           {R"({"type": "oauth2"})", "auth.type"},
           {R"({"type": "none", "token": "x"})", "auth.token"},
           {R"({"type": "bearer"})", "auth.token"},
           {R"({"type": "bearer", "token": ""})", "auth.token"},
           {R"({"type": "bearer", "token": 5})", "auth.token"},
           {R"({"type": "bearer", "token": "t", "extra": 1})", "auth.extra"},
           {R"({"type": "api_key", "name": "X", "key": "k", "in": "cookie"})", "auth.in"},
           {R"({"type": "api_key", "key": "k"})", "auth.name"},
           {R"({"type": "api_key", "name": "Bad Header", "key": "k"})", "auth.name"},
           {R"({"type": "api_key", "name": "Host", "key": "k"})", "auth.name"},
           {R"({"type": "api_key", "name": "X"})", "auth.key"},
           {R"({"type": "basic", "password": "p"})", "auth.username"},
           {R"({"type": "basic", "username": "a:b", "password": "p"})", "auth.username"},
           {R"({"type": "basic", "username": "u"})", "auth.password"},
       }) {
    Result<OpenApiAuth> r = ParseOpenApiAuth(json::parse(c.json));
    ErrorOf(r);
    EXPECT_EQ(r.status().param(), c.param) << c.json << " -> " << r.status().ToString();
  }
}

TEST(ParseOpenApiAuth, SecretsWithControlCharactersAreRefusedWithoutQuotingThem) {
  Result<OpenApiAuth> r = ParseOpenApiAuth({{"type", "bearer"}, {"token", "SECRET\r\nX-Evil: 1"}});
  std::string message = ErrorOf(r);
  EXPECT_NE(message.find("control characters"), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  r = ParseOpenApiAuth({{"type", "api_key"}, {"name", "X"}, {"key", std::string(9000, 'k')}});
  EXPECT_EQ(ErrorOf(r).find("kkk"), std::string::npos);
}

TEST(RedactedOpenApiAuth, ShowsNoSecret) {
  EXPECT_EQ(RedactedOpenApiAuth({"api_key", "X-K", "header", "s"}),
            json::parse(R"({"type": "api_key", "in": "header", "name": "X-K"})"));
  EXPECT_EQ(RedactedOpenApiAuth({"bearer", "", "", "s"}), json::parse(R"({"type": "bearer"})"));
}

}  // namespace
}  // namespace kiln::plugins
